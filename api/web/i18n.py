"""Interface strings of the web UI in Dutch and English, and the choice of language per request.

Labels of graph content (instruments, concepts, classes) come from the graph itself, which carries
``@nl`` and ``@en`` labels; this module holds only the words of the interface around them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from api.negotiation import parse_accept

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANG_COOKIE = "lcgraph_lang"

# key -> (Dutch, English)
STRINGS: dict[str, tuple[str, str]] = {
    "site.tagline": ("Kennisgraaf van Learning Communities", "Knowledge graph of Learning Communities"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "nav.main": ("Hoofdmenu", "Main menu"),
    "nav.search": ("Zoeken", "Search"),
    "nav.sparql": ("SPARQL", "SPARQL"),
    "nav.ontology": ("Ontologie", "Ontology"),
    "nav.login": ("Inloggen", "Sign in"),
    "nav.api": ("API (OpenAPI)", "API (OpenAPI)"),
    "lang.switch": ("Taal", "Language"),
    "lang.nl": ("Nederlands", "Nederlands"),
    "lang.en": ("English", "English"),
    "footer.text": (
        "lcgraph is open source (EUPL-1.2). Elk feit vermeldt zijn bron.",
        "lcgraph is open source (EUPL-1.2). Every fact names its source.",
    ),
    "footer.data": ("Gegevens als", "Data as"),
    "vendor.missing": (
        "Een deel van de pagina werkt niet: de browserbibliotheken ontbreken op de server "
        "(voer `make install` of `make vendor` uit).",
        "Part of this page does not work: the browser libraries are missing on the server "
        "(run `make install` or `make vendor`).",
    ),
    "search.title": ("Zoek instrumenten, cases en communities", "Search instruments, cases and communities"),
    "search.intro": (
        "Beschrijf wat je zoekt, in het Nederlands of Engels. Resultaten zeggen waarom ze gevonden zijn.",
        "Describe what you need, in Dutch or English. Each result says why it was found.",
    ),
    "search.label": ("Zoekvraag", "Search query"),
    "search.placeholder": (
        "bijv. hoe betrek ik bewoners bij de energietransitie",
        "e.g. how to involve residents in the energy transition",
    ),
    "search.button": ("Zoeken", "Search"),
    "search.unavailable": (
        "Zoeken is op deze server niet beschikbaar (gestart zonder zoekindex of nog aan het laden). "
        "De SPARQL-editor en de pagina's van instrumenten en cases werken wel.",
        "Search is not available on this server (started without it or still loading). "
        "The SPARQL editor and the pages of instruments and cases still work.",
    ),
    "search.results": ("{n} resultaten voor", "{n} results for"),
    "search.none": (
        "Niets gevonden. Probeer andere woorden of minder filters.",
        "Nothing found. Try other words or fewer filters.",
    ),
    "search.filters": ("Filters", "Filters"),
    "search.apply": ("Filters toepassen", "Apply filters"),
    "search.clear": ("Filters wissen", "Clear filters"),
    "search.why": ("Waarom", "Why"),
    "search.examples": ("Voorbeelden", "Examples"),
    "facet.type": ("Soort", "Type"),
    "facet.sector": ("Sector", "Sector"),
    "facet.phase": ("Fase", "Phase"),
    "facet.role": ("Doelrol", "Target role"),
    "facet.value_type": ("Soort waarde", "Value type"),
    "type.instrument": ("Instrumenten", "Instruments"),
    "type.case": ("Cases", "Cases"),
    "type.community": ("Communities", "Communities"),
    "type.passage": ("Passages uit documenten", "Passages from documents"),
    "kind.instrument": ("Instrument", "Instrument"),
    "kind.case": ("Case", "Case"),
    "kind.community": ("Community", "Community"),
    "entity.purpose": ("Doel", "Purpose"),
    "entity.description": ("Beschrijving", "Description"),
    "entity.kind": ("Soort instrument", "Kind of instrument"),
    "entity.target_roles": ("Voor wie", "Target roles"),
    "entity.phases": ("Fasen", "Phases"),
    "entity.origin": ("Herkomst", "Origin"),
    "entity.origin_sectors": ("Sectoren van herkomst", "Sectors of origin"),
    "entity.developers": ("Ontwikkeld door", "Developed by"),
    "entity.website": ("Website", "Website"),
    "entity.versions": ("Versies", "Versions"),
    "entity.no_versions": ("Geen versies vastgelegd.", "No versions recorded."),
    "entity.used_in": ("Gebruikt in", "Where it is used"),
    "entity.not_used": ("Nog geen cases vastgelegd.", "No cases recorded yet."),
    "entity.similar_instruments": ("Vergelijkbare instrumenten", "Similar instruments"),
    "entity.crossovers": ("Uit andere sectoren (crossovers)", "From other sectors (crossovers)"),
    "entity.crossovers_intro": (
        "Instrumenten die in andere sectoren zijn gebruikt voor een vergelijkbare vraag.",
        "Instruments used in other sectors for a similar need.",
    ),
    "entity.similar_cases": ("Vergelijkbare cases in andere sectoren", "Similar cases across sectors"),
    "entity.similar_communities": ("Vergelijkbare communities", "Similar communities"),
    "entity.new_sectors": ("nieuw voor deze sector", "new sectors"),
    "entity.search_off": (
        "Suggesties zijn niet beschikbaar: zoeken staat uit op deze server.",
        "Suggestions are not available: search is off on this server.",
    ),
    "entity.context": ("Context", "Context"),
    "entity.sectors": ("Sectoren", "Sectors"),
    "entity.challenges": ("Opgaven", "Challenges"),
    "entity.region": ("Regio", "Region"),
    "entity.community": ("Community", "Community"),
    "entity.practices": ("Praktijken", "Practices"),
    "entity.instruments": ("Gebruikte instrumenten", "Instruments used"),
    "entity.outcomes": ("Opbrengsten per soort waarde", "Outcomes by value type"),
    "entity.no_outcomes": ("Geen opbrengsten vastgelegd.", "No outcomes recorded."),
    "entity.other_value": ("Overig", "Other"),
    "entity.lessons": ("Lessen", "Lessons"),
    "entity.investigators": ("Onderzoekers", "Investigators"),
    "entity.forms": ("Vorm", "Form"),
    "entity.scale": ("Schaalniveau", "Scale level"),
    "entity.part_of": ("Onderdeel van", "Part of"),
    "entity.parts": ("Onderdelen", "Parts"),
    "entity.participants": ("Deelnemers", "Participants"),
    "entity.cases": ("Cases", "Cases"),
    "entity.counter_example": (
        "Dit is een tegenvoorbeeld: geen learning community in de zin van het raamwerk.",
        "This is a counter-example: not a learning community in the sense of the framework.",
    ),
    "entity.sources": ("Feiten en bronnen", "Facts and sources"),
    "entity.sources_intro": (
        "Elke bewering met de bron waar ze vandaan komt, de methode en de zekerheid.",
        "Every statement with the source it comes from, the method and the confidence.",
    ),
    "entity.property": ("Eigenschap", "Property"),
    "entity.value": ("Waarde", "Value"),
    "entity.source": ("Bron", "Source"),
    "entity.share": ("Delen op LinkedIn", "Share on LinkedIn"),
    "entity.also_as": ("Ook als", "Also as"),
    "entity.timeline": ("Tijdlijn en zelfevaluatie", "Timeline and self-assessment"),
    "entity.experiences": ("Ervaringen", "Experiences"),
    "entity.later": ("Volgt binnenkort.", "Coming soon."),
    "graph.title": ("Omgeving in de graaf", "Neighbourhood in the graph"),
    "graph.canvas": (
        "Netwerkweergave van de buren; dezelfde verbindingen staan in de lijst eronder.",
        "Network view of the neighbours; the list below has the same links.",
    ),
    "graph.list": ("Verbindingen", "Links"),
    "graph.loading": ("Netwerk laden…", "Loading the network…"),
    "graph.failed": (
        "De netwerkweergave kon niet laden; de lijst werkt wel.",
        "The network view did not load; the list still works.",
    ),
    "sparql.title": ("SPARQL-editor", "SPARQL editor"),
    "sparql.intro": (
        "Bevraag de graaf met SPARQL 1.1 (alleen lezen). Begin met een voorbeeldvraag.",
        "Query the graph with SPARQL 1.1 (read-only). Start from an example question.",
    ),
    "sparql.examples": ("Voorbeeldvragen", "Example questions"),
    "sparql.load": ("Laden", "Load"),
    "sparql.query": ("Query", "Query"),
    "sparql.run": ("Uitvoeren", "Run"),
    "sparql.results": ("Resultaten", "Results"),
    "sparql.download": ("Downloaden", "Download"),
    "sparql.rows": ("{n} rijen", "{n} rows"),
    "sparql.running": ("Bezig…", "Running…"),
    "sparql.endpoint": ("Endpoint", "Endpoint"),
    "sparql.download_note": (
        "CSV en JSON voor SELECT-vragen, Turtle voor CONSTRUCT en DESCRIBE.",
        "CSV and JSON for SELECT queries, Turtle for CONSTRUCT and DESCRIBE.",
    ),
    "ontology.title": ("Ontologie", "Ontology"),
    "ontology.classes": ("Klassen", "Classes"),
    "ontology.properties": ("Eigenschappen", "Properties"),
    "ontology.schemes": ("Begrippenlijsten", "Concept schemes"),
    "ontology.subclass_of": ("Subklasse van", "Subclass of"),
    "ontology.domain": ("Domein", "Domain"),
    "ontology.range": ("Bereik", "Range"),
    "ontology.kind": ("Soort", "Kind"),
    "ontology.download": ("Download als", "Download as"),
    "ontology.contents": ("Inhoud", "Contents"),
    "login.title": ("Inloggen", "Sign in"),
    "login.intro": (
        "Log in om bij te dragen. Lezen en zoeken kan zonder account.",
        "Sign in to contribute. Reading and searching need no account.",
    ),
    "login.login": ("Account of e-mailadres", "Account or e-mail address"),
    "login.password": ("Wachtwoord", "Password"),
    "login.submit": ("Inloggen", "Sign in"),
    "login.or": ("of", "or"),
    "login.oidc": ("Inloggen met {provider}", "Sign in with {provider}"),
    "login.failed": ("Inloggen mislukt", "Sign-in failed"),
    "error.title": ("Niet gevonden", "Not found"),
}


def translator(lang: str) -> Callable[..., str]:
    """Return ``t(key, **values)`` that looks up an interface string in ``lang`` and fills it in."""
    index = 0 if lang == "nl" else 1

    def t(key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def language_of(request: Request) -> str:
    """Pick the interface language: ``?lang=``, then the cookie, then Accept-Language, then Dutch."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    for media, q in parse_accept(request.headers.get("accept-language")):
        primary = media.split("-")[0]
        if q > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE
