"""The settings the SAT plugin reads (``pos config`` lists them). Everything about the device and
the issuer is per store (``/api/v1/settings``); the activation code is a secret.

The store chooses its fiscal document: ``POS_SAT_ENABLED`` (CF-e through its SAT or MF-e) or
the fiscal plugin's NFC-e. While the store issues NFC-e, no CF-e is issued (one sale, one
document).
"""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

UFS = ("AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB",
       "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO")
#: The states that no longer accept SAT-CF-e, and since when.
SAT_ENDED = {"SP": "2026-01-01"}
#: ICMS groups of the Simples Nacional the CF-e's items may carry (ICMSSN102).
CSOSN = ("102", "300", "400", "500")


def uf_problem(uf: str) -> str | None:
    ended = SAT_ENDED.get(uf)
    if ended:
        return (f"{uf} does not accept SAT-CF-e since {ended}: the store issues NFC-e "
                "(the fiscal plugin) instead")
    return None


def cnpj_problem(cnpj: str) -> str | None:
    from satcomum import br

    return None if br.is_cnpj(cnpj, estrito=True) else "not a valid CNPJ (14 digits)"


def signature_problem(sign: str) -> str | None:
    from satcomum import constantes

    if len(sign) == 344 and sign.isprintable() or sign == constantes.ASSINATURA_AC_TESTE:
        return None
    return "the signAC is the 344 characters the software house's activation gave"


def _store(name: str, description: str, default=None, **extra) -> SettingSpec:
    return SettingSpec(name, str, default, description, scope="store", **extra)


ENABLED = SettingSpec(
    "POS_SAT_ENABLED", bool, False,
    "Issue a CF-e through the store's SAT/MF-e for every paid order (legacy; not while the "
    "store issues NFC-e)", scope="store")
UF = _store("POS_SAT_UF", "State of the store; SP refused (no SAT since 2026-01-01), CE's "
            "MF-e is the usual case", choices=UFS, check=uf_problem)
LIBRARY = _store("POS_SAT_LIBRARY", "Path of the SAT/MF-e manufacturer's library (.so) on the "
                 "machine the device is plugged into")
ACTIVATION_CODE = _store("POS_SAT_ACTIVATION_CODE", "The device's activation code (código de "
                         "ativação)", secret=True)
CNPJ = _store("POS_SAT_CNPJ", "The store's CNPJ (emit/CNPJ), digits only", check=cnpj_problem)
IE = _store("POS_SAT_IE", "The store's state registration (emit/IE), digits only")
SOFTWARE_HOUSE_CNPJ = _store("POS_SAT_SOFTWARE_HOUSE_CNPJ", "CNPJ of the software house "
                             "(ide/CNPJ), digits only", check=cnpj_problem)
SIGN_AC = _store("POS_SAT_SIGN_AC", "The software house's signature (ide/signAC, 344 "
                 "characters)", check=signature_problem)
REGISTER = SettingSpec("POS_SAT_REGISTER", int, 1, "Number of the till the device serves "
                       "(ide/numeroCaixa)", scope="store", min=0, max=999)
CRT = _store("POS_SAT_CRT", "Tax regime: 1 Simples Nacional, 4 MEI (regime normal is not "
             "done)", "1", choices=("1", "4"))
CFOP = _store("POS_SAT_CFOP", "CFOP of every item (prod/CFOP)", "5102")
ICMS_CSOSN = _store("POS_SAT_CSOSN", "CSOSN of every item (ICMSSN102)", "102", choices=CSOSN)
TIMEOUT = SettingSpec(
    "POS_SAT_TIMEOUT_SECONDS", float, 20.0,
    "A call to the device without an answer after this long leaves the CF-e unanswered "
    "(consulted by its session before anything is sent again)", min=0.1, max=300)
POLL = SettingSpec(
    "POS_SAT_POLL_SECONDS", float, 2.0,
    "How often the sender looks for CF-e to send or consult", min=0.05, max=600)
RETRY = SettingSpec(
    "POS_SAT_RETRY_SECONDS", float, 30.0,
    "Wait before consulting an unanswered CF-e or trying a silent device again", min=0.05,
    max=3600)

#: The NFC-e switch of the fiscal plugin, read (never declared, never written) so that a store
#: issues one document per sale without either plugin importing the other.
NFCE_ENABLED = SettingSpec("POS_FISCAL_ENABLED", bool, False, scope="store")

STORE = [ENABLED, UF, LIBRARY, ACTIVATION_CODE, CNPJ, IE, SOFTWARE_HOUSE_CNPJ, SIGN_AC, REGISTER,
         CRT, CFOP, ICMS_CSOSN]
ALL = [*STORE, TIMEOUT, POLL, RETRY]
