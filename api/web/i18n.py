"""Interface strings of the web UI in Dutch and English, and the choice of language per request.

Labels of graph content (instruments, concepts, classes) come from the graph itself, which carries
``@nl`` and ``@en`` labels; this module holds only the words of the interface around them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from api.negotiation import parse_accept
from api.web.i18n_forms import FORM_STRINGS

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
    "docs.title": ("API-documentatie", "API documentation"),
    "docs.intro": (
        "Alle bewerkingen van de REST-API, om te lezen en uit te proberen. De beschrijving als OpenAPI:",
        "Every operation of the REST API, to read and to try out. The description as OpenAPI:",
    ),
    "docs.loading": ("De documentatie wordt geladen…", "Loading the documentation…"),
    "docs.failed": (
        "De documentatie kon niet worden getoond: Swagger UI ontbreekt (voer `make vendor` uit).",
        "The documentation could not be shown: Swagger UI is missing (run `make vendor`).",
    ),
    # moderation pages (api/web/moderation.py)
    "nav.moderation": ("Moderatie", "Moderation"),
    "mod.title": ("Moderatie", "Moderation"),
    "mod.intro": (
        "Bijdragen van gebruikers en grafen die het inlezen van documenten voorstelt, wachten hier op "
        "beoordeling. Pas na goedkeuring zijn ze openbaar.",
        "Contributions of users and graphs that document ingestion proposes wait here for review. "
        "Only approved content is public.",
    ),
    "mod.queue": ("Wachtrij ({n})", "Queue ({n})"),
    "mod.empty": ("De wachtrij is leeg.", "The queue is empty."),
    "mod.kind": ("Soort", "Kind"),
    "mod.subject": ("Onderwerp", "Subject"),
    "mod.submitter": ("Ingediend door", "Submitted by"),
    "mod.date": ("Datum", "Date"),
    "mod.size": ("Feiten", "Facts"),
    "mod.ingestion": ("inlezen ({method})", "ingestion ({method})"),
    "mod.kind.instrument": ("Instrument", "Instrument"),
    "mod.kind.version": ("Versie", "Version"),
    "mod.kind.deprecation": ("Uitfasering", "Deprecation"),
    "mod.kind.edit": ("Voorgestelde wijziging", "Proposed edit"),
    "mod.kind.experience": ("Ervaring", "Experience report"),
    "mod.kind.case": ("Casus", "Case"),
    "mod.kind.step": ("Ontwikkelstap", "Development step"),
    "mod.kind.assessment": ("Zelfevaluatie", "Self-assessment"),
    "mod.kind.document": ("Document (ingelezen)", "Document (ingested)"),
    "mod.kind.entries": ("Casusinvoer (ingelezen)", "Case entries (ingested)"),
    "mod.done.approved": (
        "Goedgekeurd: {title}. Het is nu openbaar.",
        "Approved: {title}. It is now public.",
    ),
    "mod.done.rejected": (
        "Afgewezen: {title}. Het blijft bewaard voor de herkomst, maar wordt niet getoond.",
        "Rejected: {title}. It stays stored for provenance but is never shown.",
    ),
    "mod.back": ("Terug naar de wachtrij", "Back to the queue"),
    "mod.item": ("Beoordelen", "Review"),
    "mod.submitted": ("Ingediend door {who} op {date}", "Submitted by {who} on {date}"),
    "mod.about": ("Over", "About"),
    "mod.facts": ("Voorgestelde feiten ({n})", "Proposed facts ({n})"),
    "mod.facts_intro": (
        "Elk feit met zijn herkomst en bronpassage. Vink een feit aan om het weg te laten; de andere "
        "worden goedgekeurd.",
        "Each fact with its provenance and source passage. Tick a fact to leave it out; the others are "
        "approved.",
    ),
    "mod.fact": ("Feit {n}", "Fact {n}"),
    "mod.method": ("Methode", "Method"),
    "mod.confidence": ("Betrouwbaarheid", "Confidence"),
    "mod.citation": ("Bron", "Citation"),
    "mod.passage": ("Bronpassage", "Source passage"),
    "mod.no_passage": ("geen", "none"),
    "mod.by_hand": (
        "Met de hand ingevoerd: de feiten hebben geen bronpassage.",
        "Entered by hand: the facts have no source passage.",
    ),
    "mod.method.manual": ("handmatig", "manual"),
    "mod.method.rule": ("regel", "rule"),
    "mod.method.model": ("model", "model"),
    "mod.method.curated": ("gecureerd", "curated"),
    "mod.exclude": ("Dit feit weglaten", "Leave this fact out"),
    "mod.chunks": (
        "Daarnaast {n} tekstfragmenten van het document (niet afzonderlijk getoond).",
        "Besides, {n} text chunks of the document (not listed).",
    ),
    "mod.no_facts": ("Dit item bevat geen feiten.", "This item holds no facts."),
    "mod.approve": ("Goedkeuren", "Approve"),
    "mod.reject_h": ("Afwijzen", "Reject"),
    "mod.reason": ("Reden van afwijzing (verplicht)", "Reason for rejecting (required)"),
    "mod.reason_hint": ("Wordt vastgelegd in het auditlogboek.", "Recorded in the audit trail."),
    "mod.reason_required": ("Geef een reden voor de afwijzing.", "Give a reason for the rejection."),
    "mod.reject": ("Afwijzen", "Reject"),
    "mod.form_error": ("Het formulier bevat een fout: zie hieronder.", "The form has an error: see below."),
    "mod.failed": ("Dit lukte niet: {detail}", "This did not work: {detail}"),
    "mod.forbidden_title": ("Geen toegang", "No access"),
    "mod.forbidden": (
        "Alleen moderatoren kunnen de moderatiewachtrij zien en beoordelen.",
        "Only moderators can see and review the moderation queue.",
    ),
    "mod.csrf": (
        "Het formulier is verlopen of kwam niet van deze site (CSRF-controle). Laad de pagina opnieuw en "
        "probeer het nog eens.",
        "The form expired or did not come from this site (CSRF check). Reload the page and try again.",
    ),
    # development timeline and self-assessment chart (api/web/development.py)
    "dev.steps": ("Ontwikkelstappen", "Development steps"),
    "dev.no_steps": ("Nog geen ontwikkelstappen vastgelegd.", "No development steps recorded yet."),
    "dev.phase": ("Fase", "Phase"),
    "dev.instruments": ("Toegepast instrument", "Instrument applied"),
    "dev.outcomes": ("Opbrengsten", "Outcomes"),
    "dev.assessments": ("Zelfevaluaties van de succesfactoren", "Self-assessments of the success factors"),
    "dev.no_assessments": ("Nog geen zelfevaluaties.", "No self-assessments yet."),
    "dev.chart_intro": (
        "Score per succesfactor (1 tot 5) op elke evaluatiedatum.",
        "Score per success factor (1 to 5) on each assessment date.",
    ),
    "dev.chart_peers": (
        "De stippellijn is het gemiddelde van de laatste gedeelde scores van andere communities ({n}).",
        "The dashed line is the mean of the latest shared scores of other communities ({n}).",
    ),
    "dev.chart_label": ("{factor}: {values}", "{factor}: {values}"),
    "dev.peer_label": ("gemiddelde anderen {mean}", "peers' mean {mean}"),
    "dev.table_caption": (
        "Scores per succesfactor per datum, de verandering en het gemiddelde van andere communities",
        "Scores per success factor per date, the change and the mean of other communities",
    ),
    "dev.factor": ("Succesfactor", "Success factor"),
    "dev.change": ("Verandering", "Change"),
    "dev.peers": ("Gemiddelde anderen", "Peers' mean"),
    "dev.mean": ("Gemiddelde", "Mean"),
    "dev.private": ("privé", "private"),
    "dev.private_note": (
        "Privé-evaluaties ziet alleen wie ze vastlegde.",
        "Private assessments are seen only by whoever recorded them.",
    ),
}

STRINGS.update(FORM_STRINGS)  # the contribution forms' strings (api/web/i18n_forms.py)


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
