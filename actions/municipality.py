"""Actions that need the user's municipality: human contact and cliëntondersteuning nearby.

The municipality is asked once and remembered in the `municipality` slot for the conversation.
`municipality_purpose` remembers why it was asked, so the answer continues where the user was.
Local facts come only from config/municipalities/; without one the bot says whom to ask.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import button, by_audience, latest_text
from bot import municipalities, topics
from bot.municipalities import Municipality

PURPOSE_CONTACT = "contact"
PURPOSE_SUPPORT = "clientondersteuning"


def known_municipality(tracker: Tracker) -> Municipality | None:
    return municipalities.get(tracker.get_slot("municipality")) or municipalities.find_in_text(
        latest_text(tracker)
    )


def ask_municipality(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    buttons = [
        button(m.display_name, "/inform_municipality" + json.dumps({"municipality": m.slug}))
        for m in municipalities.load_all().values()
    ]
    buttons.append(button("Mijn gemeente staat er niet bij", "/inform_municipality"))
    dispatcher.utter_message(
        text=by_audience(
            tracker,
            parent="In welke gemeente woont u? Dan zoek ik de gegevens op. "
            "Typ de naam of kies hieronder.",
            simple="In welke gemeente woon je? Typ de naam. Of kies hieronder.",
            professional="Om welke gemeente gaat het? Typ de naam of kies hieronder.",
        ),
        buttons=buttons,
    )


def contact_text(municipality: Municipality, tracker: Tracker) -> str:
    contact = municipality.contact
    lines = [
        by_audience(
            tracker,
            parent=f"U kunt contact opnemen met {municipality.display_name}.",
            simple=f"Je kunt {municipality.display_name} bellen of mailen.",
            professional=f"Contactgegevens van {municipality.display_name}:",
        )
    ]
    for label, value in (
        ("Telefoon", contact.phone),
        ("Bereikbaar", contact.hours),
        ("E-mail", contact.email),
        ("Website", contact.website),
    ):
        if value:
            lines.append(f"- {label}: {value}")
    if municipality.wijkteam_name:
        reach = f": {municipality.wijkteam_how_to_reach}" if municipality.wijkteam_how_to_reach else ""
        lines.append(f"- {municipality.wijkteam_name}{reach}")
    return "\n".join(lines)


def national_contact_text(tracker: Tracker) -> str:
    return by_audience(
        tracker,
        parent="Van uw gemeente heb ik geen gegevens. Het telefoonnummer en het wijkteam staan "
        "op de website van uw gemeente. Weet u niet bij welk loket u moet zijn? "
        "Het Juiste Loket helpt gratis.",
        simple="Ik weet het nummer van jouw gemeente niet. Kijk op de website van je gemeente. "
        "Daar staat het nummer.",
        professional="Voor deze gemeente is geen configuratie aanwezig. Raadpleeg de website van de "
        "gemeente voor contactgegevens. Bij onduidelijkheid over het loket: Het Juiste Loket.",
    )


def support_text(municipality: Municipality, tracker: Tracker) -> str:
    if not municipality.clientondersteuning:
        return by_audience(
            tracker,
            parent=f"Van {municipality.display_name} heb ik geen namen van cliëntondersteuners. "
            "Vraag de gemeente ernaar. Zij moeten u gratis cliëntondersteuning bieden.",
            simple=f"Ik weet niet wie dit doet in {municipality.display_name}. "
            "Vraag het de gemeente. Het is gratis.",
            professional=f"Voor {municipality.display_name} zijn geen aanbieders geconfigureerd. "
            "De gemeente moet gratis cliëntondersteuning beschikbaar stellen (Wmo 2015 art. 2.2.4).",
        )
    lines = [
        by_audience(
            tracker,
            parent=f"In {municipality.display_name} kunt u gratis cliëntondersteuning krijgen bij:",
            simple=f"In {municipality.display_name} kan iemand je gratis helpen:",
            professional=f"Cliëntondersteuning in {municipality.display_name} (Wmo 2015 art. 2.2.4):",
        )
    ]
    for provider in municipality.clientondersteuning:
        details = [d for d in (provider.description, provider.phone, provider.email, provider.website) if d]
        lines.append(f"- {provider.name}" + (f": {'; '.join(details)}" if details else ""))
    lines.append(
        by_audience(
            tracker,
            parent="Heeft u een Wlz-indicatie? Dan regelt het zorgkantoor uw cliëntondersteuning.",
            simple="Heb je een Wlz-indicatie? Dan helpt het zorgkantoor.",
            professional="Bij een Wlz-indicatie: cliëntondersteuning via het zorgkantoor.",
        )
    )
    return "\n".join(lines)


def national_support_text(tracker: Tracker) -> str:
    return by_audience(
        tracker,
        parent="Van uw gemeente heb ik geen namen. Vraag uw gemeente naar gratis "
        "cliëntondersteuning. Iedere gemeente moet dit bieden. Heeft u een Wlz-indicatie? "
        "Dan vraagt u het aan het zorgkantoor.",
        simple="Ik weet niet wie dit doet bij jou. Vraag het aan je gemeente. Het is gratis. "
        "Heb je een Wlz-indicatie? Vraag het dan aan het zorgkantoor.",
        professional="Geen configuratie voor deze gemeente. Elke gemeente moet gratis, "
        "onafhankelijke cliëntondersteuning beschikbaar stellen (Wmo 2015 art. 2.2.4). "
        "Bij een Wlz-indicatie: via het zorgkantoor.",
    )


def national_next_steps(purpose: str | None) -> list[dict[str, Any]]:
    """Without the municipality's data the user still gets somewhere: the national routes."""
    names = ["info_clientondersteuning", "info_het_juiste_loket", "info_where_to_start"]
    if purpose == PURPOSE_SUPPORT:
        names = ["info_clientondersteuning_wlz", "info_het_juiste_loket"]
    labels = topics.labels()
    return [button(labels[name], f"/{name}") for name in names]


def answer(purpose: str | None, municipality: Municipality | None, tracker: Tracker) -> str:
    if purpose == PURPOSE_SUPPORT:
        return support_text(municipality, tracker) if municipality else national_support_text(tracker)
    return contact_text(municipality, tracker) if municipality else national_contact_text(tracker)


class _MunicipalityAction(Action, ABC):
    purpose = PURPOSE_CONTACT

    @abstractmethod
    def name(self) -> Text:
        """Abstract, so that the action server does not register this base class."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        municipality = known_municipality(tracker)
        if municipality is None:
            ask_municipality(dispatcher, tracker)
            return [SlotSet("municipality_purpose", self.purpose)]
        dispatcher.utter_message(text=answer(self.purpose, municipality, tracker))
        return [SlotSet("municipality", municipality.slug), SlotSet("municipality_purpose", None)]


class ActionContactMunicipality(_MunicipalityAction):
    """ "Ik wil een mens spreken": the municipality's contact details."""

    purpose = PURPOSE_CONTACT

    def name(self) -> Text:
        return "action_contact_municipality"


class ActionFindClientondersteuning(_MunicipalityAction):
    """ "Waar vind ik een cliëntondersteuner?": providers from the municipality's configuration."""

    purpose = PURPOSE_SUPPORT

    def name(self) -> Text:
        return "action_find_clientondersteuning"


class ActionRememberMunicipality(Action):
    """The user named a municipality: remember it and continue with what they asked for."""

    def name(self) -> Text:
        return "action_remember_municipality"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        named = next(tracker.get_latest_entity_values("municipality"), None)
        municipality = municipalities.get(named) or municipalities.find_in_text(latest_text(tracker))
        purpose = tracker.get_slot("municipality_purpose")
        if purpose is None and municipality is not None:
            dispatcher.utter_message(
                text=by_audience(
                    tracker,
                    parent=f"Dank u. Ik onthoud {municipality.display_name} voor dit gesprek.",
                    simple=f"Dank je. Ik onthoud {municipality.display_name}.",
                    professional=f"Genoteerd: {municipality.display_name}.",
                )
            )
        else:
            dispatcher.utter_message(
                text=answer(purpose, municipality, tracker),
                buttons=[] if municipality else national_next_steps(purpose),
            )
        return [
            SlotSet("municipality", municipality.slug if municipality else None),
            SlotSet("municipality_purpose", None),
        ]
