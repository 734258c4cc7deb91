"""Crisis phrases are recognised deterministically, also when written oddly."""
import pytest

from bot.nlp.crisis import CrisisKeywordClassifier, is_crisis
from rasa.shared.nlu.training_data.message import Message


@pytest.mark.parametrize("text", [
    "ik wil dood",
    "Ik denk aan zelfmoord",
    "mijn zoon wil niet meer leven",
    "ik wil een eind aan mijn leven maken",
    "ik wil mezelf iets aandoen",
    "mijn vader slaat mij",
    "het is thuis niet veilig",
    "er is huiselijk geweld bij ons",
    "ＺＥＬＦＭＯＯＲＤ",
    "zelf\u200bmoord gedachten",
    "ik wil er niet meer zijn",
    "soms wil ik gewoon niet meer bestaan",
    "hij zegt dat hij uit het leven wil stappen",
    "mijn zoon heeft een afscheidsbrief geschreven",
    "ze heeft een overdosis pillen genomen",
    "hij wil voor de trein springen",
    "mijn partner is gewelddadig",
    "ik ben bang voor mijn vriend, hij dreigt",
    "mijn dochter wordt misbruikt",
    "ik wil er een einde aan maken",
    "ik snij mezelf soms",
    "ze staat op het balkon en wil springen",
    "ik word thuis geslagen",
    "mijn ex bedreigt mij",
])
def test_crisis_phrases(text):
    assert is_crisis(text)


@pytest.mark.parametrize("text", [
    "Ik kan het niet meer aan, al die formulieren",
    "Mijn beschikking loopt af, wat nu?",
    "wat doet Veilig Thuis niet? ik bedoel de gemeente",
    "het levenslang en levensbreed karakter",
    "ik ben bang voor de herbeoordeling",
    "er is niet meer geld voor zorg in natura",
    "wat als het pgb wordt misbruikt door een zorgaanbieder?",
    "ik wil niet meer wachten op de gemeente",
    "hoe maak ik een einde aan het gedoe met de gemeente?",
    "de wachtlijst bedreigt de zorg voor mijn zoon",
    "ik word gek van de formulieren",
    "",
    None,
])
def test_ordinary_questions_are_not_crisis(text):
    assert not is_crisis(text)


def test_component_overrides_the_classifier():
    message = Message(data={"text": "ik wil dood"})
    message.set("intent", {"name": "info_pgb", "confidence": 0.9})
    message.set("intent_ranking", [{"name": "info_pgb", "confidence": 0.9}])
    CrisisKeywordClassifier().process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "crisis"
