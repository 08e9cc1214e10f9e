"""upstreamnlp: what do people mean by "upstream action" on health inequalities?"""

__version__ = "0.1.0"
