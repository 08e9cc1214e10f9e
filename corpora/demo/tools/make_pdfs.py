"""Write the two synthetic full-text papers of the demo corpus as PDFs.

The texts are fictional, written for the demo corpus; they are kept here so the
PDFs can be rebuilt byte-for-byte in content with ``python make_pdfs.py``.
Platypus paragraphs are used so that the text wraps and keeps a real text layer.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

PAPERS: list[dict] = [
    {
        "id": "P085",
        "discipline": "nursing",
        "year": 2018,
        "title": "Thinking upstream at the front door: a commentary on community nursing practice",
        "byline": "Commentary. Journal of Community Nursing Practice, 2018",
        "sections": [
            (
                "Abstract",
                "Community nurses spend their working days in people's homes, and they see at first hand the "
                "conditions that make their patients ill. This commentary reflects on what it means for a "
                "community nurse to think upstream, drawing on the literature on nursing advocacy and on the "
                "everyday dilemmas of practice in North West England. It argues that thinking upstream is not "
                "a special project reserved for public health specialists but a habit of attention that can be "
                "built into routine visits, referrals and team meetings, and that it becomes most powerful when "
                "nurses act together with the communities they serve.",
            ),
            (
                "Introduction",
                "The phrase thinking upstream entered the nursing literature as an invitation to look beyond "
                "the individual patient. It borrows the familiar story of rescuers who pull one person after "
                "another out of a fast-flowing river and who are so busy that nobody walks upstream to find out "
                "why people keep falling in. For a district nurse dressing the same leg ulcer for the third "
                "winter running, the story is not abstract. The ulcer heals slowly because the house is cold, "
                "the diet is poor because the pension does not stretch, and the patient misses appointments "
                "because the bus no longer runs on Sundays.",
            ),
            (
                "",
                "In this commentary, thinking upstream means asking, at every contact, what in a patient's "
                "circumstances is producing the problem in front of us and who has the power to change it. "
                "That question has two halves. The first is diagnostic: it asks nurses to notice income, "
                "housing, isolation and work as causes, not as background. The second is practical and "
                "political: it asks nurses to consider what they, their employer and the wider system could do "
                "about those causes.",
            ),
            (
                "What thinking upstream looks like on a caseload",
                "Much of what nurses already do can be read as prevention. We give advice on smoking, "
                "nutrition and falls, we encourage people to take up screening and vaccination, and we teach "
                "self-management of long-term conditions. This work matters, and it saves admissions. Yet it "
                "is easy for the language of going upstream to shrink into a longer list of leaflets, as if the "
                "answer to a cold, damp flat were better advice about keeping warm.",
            ),
            (
                "",
                "A more demanding version starts with the home visit itself. When a nurse notices mould on a "
                "bedroom wall, she can record it, photograph it with consent, and refer the patient to "
                "environmental health or to the landlord. When a patient mentions that a benefit has been "
                "stopped, she can refer to a welfare rights adviser the same day rather than assuming that "
                "money is outside her remit. Teams that keep a shared log of such problems soon discover that "
                "the same streets, the same landlords and the same gaps in services appear again and again.",
            ),
            (
                "",
                "Those patterns are evidence. Several community nursing teams have taken anonymised summaries "
                "of what they see to council scrutiny committees, housing forums and clinical commissioning "
                "meetings. A nurse who can say that a third of her housebound patients live in homes they "
                "cannot afford to heat speaks with an authority that few other professionals possess.",
            ),
            (
                "Advocacy alongside communities",
                "Advocacy is often imagined as the nurse speaking for the patient. That remains important, "
                "especially for people who are frail or unwell. But the most durable changes we have seen "
                "came when nurses supported patients and their neighbours to speak for themselves. A tenants' "
                "group that presents its own evidence about damp to the housing association, with a nurse "
                "standing beside it rather than in front of it, is harder to ignore and less likely to fade "
                "when the nurse changes post.",
            ),
            (
                "",
                "This requires nurses to share control over the agenda. Communities may prioritise problems "
                "that do not fit neatly into clinical categories, such as unsafe footpaths, the closure of a "
                "community centre or the cost of school uniforms. Supporting that work means accepting that "
                "the community, not the service, decides what matters.",
            ),
            (
                "Discussion",
                "None of this is easy. Caseloads are heavy, staffing is short, and advocacy rarely appears in "
                "the activity data by which community services are judged. Some nurses worry that speaking "
                "about benefits or housing policy compromises their professional neutrality. We would argue "
                "the opposite: professional codes that ask nurses to act in the best interests of patients "
                "cannot sensibly stop at the front door.",
            ),
            (
                "",
                "Managers can make thinking upstream part of ordinary practice by protecting time for "
                "referral and follow-up, by including social circumstances in caseload reviews, and by "
                "creating routes through which teams can raise concerns about living conditions with partner "
                "agencies. Educators can help by assessing students on their ability to identify causes and "
                "act on them, not only on the quality of their health education.",
            ),
            (
                "",
                "Thinking upstream will not turn community nurses into housing officers or economists. It asks "
                "something simpler and harder: that nurses keep asking why, that they share what they learn, "
                "and that they use the trust they hold in communities to help people change the conditions "
                "that are making them ill.",
            ),
        ],
    },
    {
        "id": "P086",
        "discipline": "health geography",
        "year": 2020,
        "title": "Place, neighbourhood and community control: rethinking the geography of upstream action",
        "byline": "Essay. Health, Place and Environment, 2020",
        "sections": [
            (
                "Abstract",
                "Health geographers have shown that where people live shapes their health, yet policies on "
                "place often treat neighbourhoods as containers for services rather than as settings whose "
                "character is made by decisions. This essay argues that a geographical reading of upstream "
                "action must attend both to the material conditions of places and to who controls them. "
                "Drawing on research in deindustrialised towns and cities of the North of England, it "
                "proposes community control over land, assets and local spending as a neglected dimension "
                "of action on health inequalities.",
            ),
            (
                "Introduction",
                "Neighbourhoods differ in their housing, their streets, their air and their access to work, "
                "food and green space. These differences are not accidents. They are the sediment of decisions "
                "about where to build roads, where to site industry, which estates to demolish and which to "
                "repair, and where to close a library or a bus route. The health geography of the past three "
                "decades has documented how such differences map onto differences in life expectancy, often "
                "within a few miles of one another.",
            ),
            (
                "",
                "The language of place-based approaches has since moved from research into policy. Local "
                "authorities, health services and funders now speak readily of working with places. Yet the "
                "phrase can mean very different things. In some programmes the neighbourhood is a target area "
                "within which services are delivered more intensively. In others it is a community whose "
                "residents are expected to take part in decisions. The difference matters for what kind of "
                "upstream action a place-based approach can achieve.",
            ),
            (
                "Place as a determinant",
                "The evidence that places shape health is strong. Poor-quality housing, polluted air, the "
                "absence of safe green space and long journeys to work all contribute to the higher burden "
                "of illness in deprived neighbourhoods. Some of these conditions can be changed through "
                "planning and regulation that apply to everyone in an area, such as limits on traffic, "
                "standards for rented housing or the protection of parks. Such measures have the advantage "
                "that they do not depend on the effort of individual residents.",
            ),
            (
                "",
                "But places are also shaped by flows that originate far away. The closure of a factory, the "
                "sale of council land or a change in national welfare rules can transform a neighbourhood "
                "within a few years. A purely local account of place risks blaming neighbourhoods for "
                "conditions that were imposed on them.",
            ),
            (
                "Community control",
                "If places are made by decisions, then the question of who makes those decisions is itself a "
                "question about health. Residents of deprived neighbourhoods frequently describe regeneration "
                "and service change as something that happens to them. Consultation arrives after plans are "
                "drawn, and the range of options on offer is narrow.",
            ),
            (
                "",
                "There are alternatives. Community land trusts, community-owned buildings and resident-led "
                "partnerships with long-term funding have given some neighbourhoods a measure of control over "
                "land, assets and spending. Where residents own a building or a piece of land, they acquire "
                "more than a resource. They acquire a seat at the table and a reason for others to negotiate "
                "with them. We therefore treat community control as a form of upstream action in its own "
                "right, because it changes who decides what a place will become.",
            ),
            (
                "",
                "Community control is not a panacea. It can reproduce local hierarchies, favouring residents "
                "who already have time, confidence and professional skills. It can also be used by the state "
                "to shift responsibility onto communities while withdrawing resources. Control over a small "
                "grant is not the same as control over the decisions that shape a town's economy.",
            ),
            (
                "Discussion",
                "A geographical reading of upstream action brings together two concerns that are often kept "
                "apart: the material conditions of places and the distribution of power over them. Planning "
                "and regulation can improve conditions for whole populations, and redistribution can change "
                "the resources that households bring to a place. Community control adds a third element, "
                "giving residents a stake in the decisions that produce their environment.",
            ),
            (
                "",
                "For researchers, this implies studying ownership, governance and decision-making alongside "
                "deprivation scores and exposure maps. For policymakers, it implies that place-based "
                "strategies should be judged not only by the services they deliver but by whether they leave "
                "residents with more say over the future of their neighbourhood than they had before.",
            ),
        ],
    },
]


def build(out_dir: Path) -> list[Path]:
    """Write one PDF per paper into ``out_dir`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    styles = getSampleStyleSheet()
    written = []
    for paper in PAPERS:
        path = out_dir / f"{paper['id']}.pdf"
        doc = SimpleDocTemplate(
            str(path),
            pagesize=A4,
            leftMargin=2.5 * cm,
            rightMargin=2.5 * cm,
            title=paper["title"],
            author="upstreamnlp demo corpus (synthetic)",
        )
        story = [
            Paragraph(paper["title"], styles["Title"]),
            Paragraph(paper["byline"], styles["Italic"]),
        ]
        story.append(Spacer(1, 0.4 * cm))
        for heading, text in paper["sections"]:
            if heading:
                story.append(Paragraph(heading, styles["Heading2"]))
            story.append(Paragraph(text, styles["BodyText"]))
        doc.build(story)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build(Path(__file__).resolve().parents[1] / "papers" / "pdf"):
        print(written_path)
