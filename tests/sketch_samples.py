"""One complete idea sketch, as the form stores it, for the tests that need a whole draft."""
from finsam.sketch import OPEN

COMPLETE_SKETCH = {
    "title": "Gemensam väg",
    "background": "Unga hamnar mellan stolarna; en kartläggning visar behov av samverkan.",
    "solution": "Ett team som bygger på deltagarnas egna styrkor.",
    "target_group": "Unga vuxna 18-29 år med psykisk ohälsa.",
    "coordination": "Gemensamma möten där deltagaren är delaktig.",
    "measurement": OPEN,
    "governance": "Styrgrupp; Karlshamns kommun är huvudman. Budget 1 miljon per år i två år.",
    "anchoring": "Förankrat i ledningsgrupperna, målet är ordinarie verksamhet.",
    "parties": "Karlshamns kommun (huvudman), Arbetsförmedlingen, Försäkringskassan",
    "contact_name": "Anna Svensson",
    "organisation": "Karlshamns kommun",
    "role": "Samordnare",
    "email": "anna.svensson@karlshamn.se",
}
