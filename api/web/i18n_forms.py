"""Interface strings of the contribution forms, the experiences block and the account header (nl, en).

Kept apart from :mod:`api.web.i18n` (which merges them into its table) because the forms have many.
"""

from __future__ import annotations

FORM_STRINGS: dict[str, tuple[str, str]] = {
    # header
    "nav.signed_in_as": ("Ingelogd als", "Signed in as"),
    "nav.logout": ("Uitloggen", "Sign out"),
    # links to the forms
    "form.link.publish": ("Een instrument publiceren", "Publish an instrument"),
    "form.link.edit": ("Instrument bewerken", "Edit this instrument"),
    "form.link.propose": ("Een wijziging voorstellen", "Propose a change"),
    "form.link.step": ("Ontwikkelstap vastleggen", "Record a development step"),
    "form.link.assessment": ("Zelfevaluatie invullen", "Fill in a self-assessment"),
    # shared form words
    "form.required": ("verplicht", "required"),
    "form.required_one": ("verplicht, in minstens één taal", "required, in at least one language"),
    "form.required_note": (
        "Velden met ‘verplicht’ moeten ingevuld zijn; de andere zijn optioneel.",
        "Fields marked ‘required’ must be filled in; the others are optional.",
    ),
    "form.bilingual_hint": (
        "In het Nederlands, het Engels of allebei.",
        "In Dutch, English or both.",
    ),
    "form.one_per_line": ("Eén per regel.", "One per line."),
    "form.choose": ("– kies –", "– choose –"),
    "form.none": ("– geen –", "– none –"),
    "form.unknown": ("– onbekend –", "– not known –"),
    "form.cancel": ("Annuleren", "Cancel"),
    "form.error": ("Fout", "Error"),
    "form.error_title": ("Fout", "Error"),
    "form.summary_one": ("Er is 1 probleem om op te lossen", "There is 1 problem to fix"),
    "form.summary": ("Er zijn {n} problemen om op te lossen", "There are {n} problems to fix"),
    "form.language": ("Taal van je teksten", "Language of your texts"),
    "form.language_hint": (
        "Waarin je de vrije teksten hierboven schreef.",
        "The language you wrote the free texts above in.",
    ),
    "form.outcomes": ("Waargenomen opbrengsten", "Outcomes observed"),
    "form.outcomes_hint": (
        "Optioneel: tot drie resultaten, elk met het soort waarde dat ze opleverden.",
        "Optional: up to three results, each with the kind of value it created.",
    ),
    "form.outcome_n": ("Opbrengst {n}", "Outcome {n}"),
    "form.value_type": ("Soort waarde", "Value type"),
    "form.outcome_text": ("Wat je zag", "What you saw"),
    "form.denied": ("Geen toegang", "Not allowed"),
    "form.conflict": ("Dit kan nu niet", "This cannot be done now"),
    "form.too_many": ("Te veel bijdragen", "Too many contributions"),
    "form.problem": ("Er ging iets mis", "Something went wrong"),
    "form.changed_meanwhile": (
        "Iemand anders wijzigde dit instrument nadat je het formulier opende. Je tekst staat hieronder nog; "
        "vergelijk met de pagina van het instrument en sla opnieuw op om de nieuwste versie te vervangen.",
        "Someone else changed this instrument after you opened the form. Your text is still below; compare "
        "it with the instrument's page and save again to replace the newest version.",
    ),
    "form.not_allowed": (
        "Je account mag dit niet ({permission}).",
        "Your account may not do this ({permission}).",
    ),
    "form.csrf": (
        "Het formulier is verlopen of kwam niet van deze site (CSRF-controle). Laad het formulier opnieuw "
        "en probeer het nog eens.",
        "The form expired or did not come from this site (CSRF check). Load the form again and retry.",
    ),
    # messages for refused values (pydantic error types)
    "form.err.missing": ("Vul dit in.", "Fill this in."),
    "form.err.too_short": ("Gebruik minstens {n} tekens.", "Use at least {n} characters."),
    "form.err.too_long": ("Gebruik hoogstens {n} tekens.", "Use at most {n} characters."),
    "form.err.le": ("Kies een waarde van hoogstens {n}.", "Choose a value of at most {n}."),
    "form.err.ge": ("Kies een waarde van minstens {n}.", "Choose a value of at least {n}."),
    "form.err.integer": ("Geef een heel getal.", "Give a whole number."),
    "form.err.number": ("Geef een getal.", "Give a number."),
    "form.err.date": ("Geef een datum (jjjj-mm-dd).", "Give a date (yyyy-mm-dd)."),
    "form.err.too_many": ("Dat zijn er te veel (hoogstens {n}).", "That is too many (at most {n})."),
    "form.err.invalid": ("Deze waarde klopt niet.", "This value is not valid."),
    "form.err.url": (
        "Geef een webadres dat begint met http:// of https://.",
        "Give a web address starting with http:// or https://.",
    ),
    "form.err.pattern": (
        "Gebruik kleine letters, cijfers en enkele streepjes (bijv. mijn-instrument).",
        "Use lower-case letters, digits and single hyphens (e.g. my-instrument).",
    ),
    "form.err.some_text": (
        "Vul de tekst in het Nederlands, het Engels of allebei in.",
        "Give the text in Dutch, English or both.",
    ),
    # instrument form
    "form.instrument.title": ("Een instrument publiceren", "Publish an instrument"),
    "form.instrument.edit_title": ("{name} bewerken", "Edit {name}"),
    "form.instrument.propose_title": ("Wijziging voorstellen: {name}", "Propose a change: {name}"),
    "form.instrument.intro": (
        "Beschrijf je instrument in de gedeelde woordenschat, zodat Webbers het vinden voor hun fase en rol. "
        "Bijdragen van nog niet vertrouwde accounts worden eerst beoordeeld door een moderator.",
        "Describe your instrument in the shared vocabulary, so Webbers find it for their phase and role. "
        "Contributions of accounts that are not yet trusted are reviewed by a moderator first.",
    ),
    "form.instrument.intro_edit": (
        "Pas de beschrijving aan; de hele beschrijving wordt vervangen door wat hier staat.",
        "Change the description; the whole description is replaced by what is here.",
    ),
    "form.instrument.proposal_note": (
        "Je bent niet de eigenaar: je wijziging wordt een voorstel dat een moderator beoordeelt.",
        "You are not the owner: your change becomes a proposal that a moderator reviews.",
    ),
    "form.instrument.what": ("Wat het is", "What it is"),
    "form.instrument.for_whom": ("Voor wie en wanneer", "For whom and when"),
    "form.instrument.origin": ("Herkomst", "Origin"),
    "form.instrument.name": ("Naam", "Name"),
    "form.instrument.slug": ("Korte naam in het webadres", "Short name in the web address"),
    "form.instrument.slug_hint": (
        "Optioneel, bijv. mijn-instrument: kleine letters, cijfers en streepjes. Leeg: gemaakt uit de naam.",
        "Optional, e.g. my-instrument: lower-case letters, digits and hyphens. Empty: made from the name.",
    ),
    "form.instrument.kind": ("Soort instrument", "Kind of instrument"),
    "form.instrument.purpose": ("Doel", "Purpose"),
    "form.instrument.purpose_hint": (
        "Waarvoor gebruik je het? Eén of twee zinnen.",
        "What is it used for? One or two sentences.",
    ),
    "form.instrument.description": ("Beschrijving", "Description"),
    "form.instrument.alt_names": ("Andere namen", "Other names"),
    "form.instrument.phases": ("Fasen waarin het helpt", "Phases it serves"),
    "form.instrument.roles": ("Voor welke rollen", "Target roles"),
    "form.instrument.target_group": ("Doelgroep in je eigen woorden", "Target group in your own words"),
    "form.instrument.sectors": ("Sectoren van herkomst", "Sectors of origin"),
    "form.instrument.origin_context": ("Context van herkomst", "Context of origin"),
    "form.instrument.developer": ("Ontwikkeld door", "Developed by"),
    "form.instrument.url": ("Website", "Website"),
    "form.instrument.url_hint": ("Begint met https://", "Starts with https://"),
    "form.instrument.adaptation_of": ("Aanpassing van", "Adaptation of"),
    "form.instrument.adaptation_hint": (
        "Het instrument waarvan dit een aangepaste versie is, als dat zo is.",
        "The instrument this one adapts, if any.",
    ),
    "form.instrument.submit": ("Publiceren", "Publish"),
    "form.instrument.submit_edit": ("Wijziging opslaan", "Save the change"),
    # experience form
    "form.experience.title": ("Ervaring met {name} delen", "Report an experience with {name}"),
    "form.experience.intro": (
        "Vertel hoe het instrument werkte: waar, met wie, wat werkte en wat niet. Andere Webbers leren "
        "ervan; de ontwikkelaar ook.",
        "Tell how the instrument worked: where, with whom, what worked and what did not. Other Webbers "
        "learn from it, and so does its developer.",
    ),
    "form.experience.where": ("Waar en met wie", "Where and with whom"),
    "form.experience.how": ("Hoe het ging", "How it went"),
    "form.experience.context": ("Situatie", "Situation"),
    "form.experience.context_hint": (
        "Waar en waarvoor heb je het gebruikt?",
        "Where and for what did you use it?",
    ),
    "form.experience.sector": ("Sector", "Sector"),
    "form.experience.phase": ("Fase", "Phase"),
    "form.experience.case": ("Case", "Case"),
    "form.experience.community": ("Community", "Community"),
    "form.experience.version": ("Gebruikte versie", "Version used"),
    "form.experience.used_on": ("Gebruikt op", "Used on"),
    "form.experience.group": ("Samenstelling van de groep", "Group composition"),
    "form.experience.group_hint": (
        "Bijv. 12 deelnemers: studenten, docenten, twee bedrijven.",
        "E.g. 12 participants: students, teachers, two companies.",
    ),
    "form.experience.rating": ("Waardering (1 tot 5)", "Rating (1 to 5)"),
    "form.experience.rating_hint": (
        "1 = werkte niet, 5 = werkte heel goed.",
        "1 = did not work, 5 = worked very well.",
    ),
    "form.experience.worked": ("Wat werkte", "What worked"),
    "form.experience.not_worked": ("Wat werkte niet", "What did not work"),
    "form.experience.adaptations": ("Aanpassingen die je maakte", "Adaptations you made"),
    "form.experience.evidence": ("Links naar bewijs", "Evidence links"),
    "form.experience.evidence_hint": (
        "Optioneel: webadressen (https://…), één per regel.",
        "Optional: web addresses (https://…), one per line.",
    ),
    "form.experience.submit": ("Ervaring delen", "Report the experience"),
    # step form
    "form.step.title": ("Ontwikkelstap van {name}", "Development step of {name}"),
    "form.step.intro": (
        "Leg een stap in de ontwikkeling van de community vast: een faseovergang, activiteit, toegepast "
        "instrument, opbrengst of besluit. Stappen verschijnen op de tijdlijn.",
        "Record a step in the community's development: a phase transition, activity, instrument applied, "
        "outcome or decision. Steps appear on the timeline.",
    ),
    "form.step.on": ("Datum", "Date"),
    "form.step.kind": ("Soort stap", "Kind of step"),
    "form.step.step_title": ("Titel", "Title"),
    "form.step.description": ("Beschrijving", "Description"),
    "form.step.phase": ("Fase", "Phase"),
    "form.step.phase_hint": (
        "Bij een faseovergang: de fase die begint (verplicht).",
        "For a phase transition: the phase entered (required).",
    ),
    "form.step.instruments": ("Toegepaste instrumenten", "Instruments applied"),
    "form.step.instruments_hint": ("Optioneel.", "Optional."),
    "form.step.submit": ("Stap vastleggen", "Record the step"),
    # self-assessment form
    "form.assessment.title": ("Zelfevaluatie van {name}", "Self-assessment of {name}"),
    "form.assessment.intro": (
        "Geef elke succesfactor van Seeds of Innovation een score van 1 tot 5, met een toelichting. Sla "
        "factoren over die je niet kunt beoordelen. De evaluatie is privé, tenzij je haar deelt.",
        "Score each success factor of Seeds of Innovation from 1 to 5, with a note. Skip factors you cannot "
        "judge. The assessment is private unless you share it.",
    ),
    "form.assessment.on": ("Datum van de evaluatie", "Date of the assessment"),
    "form.assessment.score": ("Score", "Score"),
    "form.assessment.no_score": ("– niet beoordeeld –", "– not scored –"),
    "form.assessment.score_1": ("1 – zwak", "1 – weak"),
    "form.assessment.score_2": ("2", "2"),
    "form.assessment.score_3": ("3 – redelijk", "3 – fair"),
    "form.assessment.score_4": ("4", "4"),
    "form.assessment.score_5": ("5 – sterk", "5 – strong"),
    "form.assessment.note": ("Toelichting", "Note"),
    "form.assessment.shared": ("Delen met andere communities", "Share with other communities"),
    "form.assessment.shared_hint": (
        "Gedeelde scores tellen mee in het gemiddelde dat andere communities ter vergelijking zien.",
        "Shared scores count in the mean other communities see for comparison.",
    ),
    "form.assessment.submit": ("Evaluatie opslaan", "Save the assessment"),
    # after a contribution
    "done.approved": ("Gepubliceerd.", "Published."),
    "done.proposed": ("Wacht op moderatie.", "Awaiting moderation."),
    "done.private": ("Privé opgeslagen.", "Saved privately."),
    "done.rejected": ("Afgewezen.", "Rejected."),
    "done.body.approved": ("{what} is nu openbaar.", "{what} is public now."),
    "done.body.proposed": (
        "{what} is ontvangen; een moderator beoordeelt het voordat het openbaar wordt.",
        "{what} was received; a moderator reviews it before it becomes public.",
    ),
    "done.body.private": (
        "{what} is opgeslagen; alleen jij en moderatoren zien het, want je deelde het niet.",
        "{what} was saved; only you and moderators see it, as you did not share it.",
    ),
    "done.body.rejected": ("{what} is niet openbaar gemaakt.", "{what} was not made public."),
    "done.what.instrument": ("Het instrument", "The instrument"),
    "done.what.edit": ("De voorgestelde wijziging", "The proposed change"),
    "done.what.version": ("De versie", "The version"),
    "done.what.deprecation": ("De uitfasering", "The deprecation"),
    "done.what.experience": ("Je ervaringsverslag", "Your experience report"),
    "done.what.case": ("De case", "The case"),
    "done.what.step": ("De ontwikkelstap", "The development step"),
    "done.what.assessment": ("De zelfevaluatie", "The self-assessment"),
    "done.received_title": ("Ontvangen, wacht op moderatie", "Received, awaiting moderation"),
    "done.received_body": (
        "Deze pagina is nog niet openbaar. Zodra een moderator je bijdrage goedkeurt, staat ze hier "
        "voor iedereen en is ze te vinden met zoeken.",
        "This page is not public yet. Once a moderator approves your contribution, it is shown here to "
        "everyone and can be found by search.",
    ),
    # experiences block of an instrument page
    "exp.report": ("Ervaring delen", "Report an experience"),
    "exp.sign_in_to_report": ("Log in om een ervaring te delen", "Sign in to report an experience"),
    "exp.none": ("Nog geen ervaringen gedeeld.", "No experiences reported yet."),
    "exp.count": ("Ervaringen", "Reports"),
    "exp.mean": ("Gemiddelde waardering", "Mean rating"),
    "exp.ratings": ("Waarderingen", "Ratings"),
    "exp.rating": ("Waardering", "Rating"),
    "exp.reports": ("Aantal", "Count"),
    "exp.by_sector": ("Per sector", "By sector"),
    "exp.by_phase": ("Per fase", "By phase"),
    "exp.sector": ("Sector", "Sector"),
    "exp.phase": ("Fase", "Phase"),
    "exp.version": ("Versie", "Version"),
    "exp.list": ("Verslagen", "Reports"),
    "exp.worked": ("Wat werkte", "What worked"),
    "exp.not_worked": ("Wat werkte niet", "What did not work"),
    "exp.adaptations": ("Aanpassingen", "Adaptations"),
    "exp.group": ("Groep", "Group"),
    "exp.evidence": ("Bewijs", "Evidence"),
}
