"""The settings the fiscal plugin reads (``pos config`` lists them). The issuer's data are
per store (``/api/v1/settings``); the CSC token and the certificate's password are secrets, never
shown by the API."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec
from posmodern.plugins.fiscal.checks import cep_problem, cnpj_problem, ibge_city_problem

#: The states and their IBGE codes (the first two digits of an access key).
UF_CODES = {
    "RO": "11", "AC": "12", "AM": "13", "RR": "14", "PA": "15", "AP": "16", "TO": "17",
    "MA": "21", "PI": "22", "CE": "23", "RN": "24", "PB": "25", "PE": "26", "AL": "27",
    "SE": "28", "BA": "29", "MG": "31", "ES": "32", "RJ": "33", "SP": "35", "PR": "41",
    "SC": "42", "RS": "43", "MS": "50", "MT": "51", "GO": "52", "DF": "53",
}
HOMOLOGACAO, PRODUCAO = "homologacao", "producao"


def _store(name: str, description: str, default: str = "", **extra) -> SettingSpec:
    return SettingSpec(name, str, default, description, scope="store", **extra)


ENABLED = SettingSpec(
    "POS_FISCAL_ENABLED", bool, False,
    "Issue an NFC-e for every paid order of the store (on payment.completed)", scope="store")
CNPJ = _store("POS_FISCAL_CNPJ", "The issuer's CNPJ (emit/CNPJ)", check=cnpj_problem)
IE = _store("POS_FISCAL_IE", "The issuer's state registration (inscrição estadual)")
CRT = _store("POS_FISCAL_CRT", "Tax regime: 1 Simples Nacional, 2 Simples excesso, 3 regime "
             "normal, 4 MEI", "1", choices=("1", "2", "3", "4"))
NAME = _store("POS_FISCAL_NAME", "The issuer's legal name (razão social)")
TRADE_NAME = _store("POS_FISCAL_TRADE_NAME", "The issuer's trade name (nome fantasia)")
STREET = _store("POS_FISCAL_STREET", "Street of the store (logradouro)")
STREET_NUMBER = _store("POS_FISCAL_STREET_NUMBER", "Number of the store's address", "S/N")
DISTRICT = _store("POS_FISCAL_DISTRICT", "District of the store (bairro)")
CITY = _store("POS_FISCAL_CITY", "City of the store (município)")
CITY_CODE = _store("POS_FISCAL_CITY_CODE", "IBGE code of the store's city (7 digits)",
                   check=ibge_city_problem)
UF = _store("POS_FISCAL_UF", "State of the store (SP, RS …)", "SP", choices=tuple(UF_CODES))
CEP = _store("POS_FISCAL_CEP", "CEP of the store (8 digits)", check=cep_problem)
SERIES = SettingSpec(
    "POS_FISCAL_SERIES", int, 1, "NFC-e series of the store (numbers run per series)",
    scope="store", min=0, max=889)
ENVIRONMENT = _store("POS_FISCAL_ENVIRONMENT", "SEFAZ environment: homologacao (tests, no "
                     "fiscal value) or producao", HOMOLOGACAO, choices=(HOMOLOGACAO, PRODUCAO))
CSC_ID = _store("POS_FISCAL_CSC_ID", "Id of the store's CSC (the token's number at SEFAZ, "
                "leading zeros kept)")
CSC = _store("POS_FISCAL_CSC", "The CSC token (código de segurança do contribuinte) that signs "
             "the QR code", secret=True)
CERT_FILE = _store("POS_FISCAL_CERT_FILE", "Path of the store's A1 certificate (PKCS#12 .pfx) "
                   "on the server")
CERT_PASSWORD = _store("POS_FISCAL_CERT_PASSWORD", "Password of the A1 certificate",
                       secret=True)
SEFAZ_URL = _store("POS_FISCAL_SEFAZ_URL", "Base URL of the authorising web services, instead "
                   "of the state's (a test SEFAZ)")
SEFAZ_CA_FILE = _store("POS_FISCAL_SEFAZ_CA_FILE", "PEM file of the CAs trusted for SEFAZ's "
                       "https web services, instead of the system's (ICP-Brasil's chain, or a "
                       "test SEFAZ's CA)")
QR_VERSION = _store("POS_FISCAL_QR_VERSION", "QR code version: 2 (signed with the CSC) or 3 (NT "
                     "2025.001: no CSC; a contingency note's QR code is signed with the A1 "
                     "certificate)", "2", choices=("2", "3"))
QR_URL = _store("POS_FISCAL_QR_URL", "NFC-e consultation URL printed in the QR code, instead of "
                "the state's")
TIMEOUT = SettingSpec(
    "POS_FISCAL_TIMEOUT_SECONDS", float, 10.0,
    "A send to SEFAZ without an answer after this long puts the note in offline contingency",
    min=0.1, max=60)
POLL = SettingSpec(
    "POS_FISCAL_POLL_SECONDS", float, 2.0,
    "How often the sender looks for notes to send, consult or void", min=0.05, max=600)
RETRY = SettingSpec(
    "POS_FISCAL_RETRY_SECONDS", float, 30.0,
    "Wait before sending again a contingency note or consulting an unanswered one", min=0.05,
    max=3600)
RECONCILE = SettingSpec(
    "POS_FISCAL_RECONCILE_SECONDS", float, 3600.0,
    "How often one process of the deployment runs what `pos fiscal reconcile` does (contingency "
    "notes sent, unanswered ones consulted, refused and skipped numbers voided); 0: never",
    min=0, max=86400)

CANCEL_MINUTES = SettingSpec(
    "POS_FISCAL_CANCEL_MINUTES", int, 30,
    "How long after its authorisation an NFC-e may be cancelled (event 110111): 30 minutes in "
    "most states; a state that allows longer (24 h) is set here. SEFAZ checks it too",
    scope="store", min=1, max=10080)
SUBSTITUTION_HOURS = SettingSpec(
    "POS_FISCAL_SUBSTITUTION_HOURS", int, 168,
    "How long a note replaced by a contingency note of the same sale may be cancelled by "
    "substitution (event 110112): 168 hours (NT 2018.004), fewer where the state says so",
    scope="store", min=1, max=168)
SMTP_HOST = _store("POS_FISCAL_SMTP_HOST", "SMTP server that sends the DANFE NFC-e to a "
                   "consumer's e-mail (empty: no e-mail)")
SMTP_PORT = SettingSpec("POS_FISCAL_SMTP_PORT", int, 587, "Port of the SMTP server",
                        scope="store", min=1, max=65535)
SMTP_SECURITY = _store("POS_FISCAL_SMTP_SECURITY", "starttls (port 587), tls (port 465) or none "
                       "(a relay on the store's own network)", "starttls",
                       choices=("starttls", "tls", "none"))
SMTP_USERNAME = _store("POS_FISCAL_SMTP_USERNAME", "SMTP user (empty: no authentication)")
SMTP_PASSWORD = _store("POS_FISCAL_SMTP_PASSWORD", "SMTP password", secret=True)
SMTP_FROM = _store("POS_FISCAL_SMTP_FROM", "Sender of the DANFE e-mails "
                   "(\"Restaurante <nfce@example.com.br>\")")
MAIL = [SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM]

ISSUER = [CNPJ, IE, CRT, NAME, TRADE_NAME, STREET, STREET_NUMBER, DISTRICT, CITY, CITY_CODE,
          UF, CEP, SERIES, ENVIRONMENT, CSC_ID, CSC, CERT_FILE, CERT_PASSWORD, SEFAZ_URL, QR_URL,
          QR_VERSION, SEFAZ_CA_FILE, CANCEL_MINUTES, SUBSTITUTION_HOURS]
ALL = [ENABLED, *ISSUER, TIMEOUT, POLL, RETRY, RECONCILE, *MAIL]
