from upstreamnlp.cli import app

app()
