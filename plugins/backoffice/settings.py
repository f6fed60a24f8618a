"""The back office's settings."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

#: Brazil's time zones (the tz database's), and UTC.
BRAZIL_ZONES = ("America/Sao_Paulo", "America/Araguaina", "America/Bahia", "America/Belem",
                "America/Boa_Vista", "America/Campo_Grande", "America/Cuiaba",
                "America/Eirunepe", "America/Fortaleza", "America/Maceio", "America/Manaus",
                "America/Noronha", "America/Porto_Velho", "America/Recife",
                "America/Rio_Branco", "America/Santarem", "UTC")

REPORT_TIMEZONE = SettingSpec(
    "POS_REPORT_TIMEZONE", str, "America/Sao_Paulo",
    "Time zone of the store's calendar in reports (the days and hours sales are counted in)",
    scope="store", choices=BRAZIL_ZONES)
