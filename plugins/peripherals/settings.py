"""The settings the peripherals plugin reads (``pos config`` lists them)."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

POLL = SettingSpec(
    "POS_PRINT_POLL_SECONDS", float, 0.5,
    "How often a printer's worker looks for jobs to print when it has none", min=0.05, max=60)
SCAN = SettingSpec(
    "POS_PRINT_SCAN_SECONDS", float, 5.0,
    "How often the spool looks for printers added or removed by another process", min=0.1,
    max=600)
RETRY = SettingSpec(
    "POS_PRINT_RETRY_SECONDS", float, 1.0,
    "Wait before a failed job's second attempt; it doubles with each attempt", min=0.01, max=600)
RETRY_MAX = SettingSpec(
    "POS_PRINT_RETRY_MAX_SECONDS", float, 30.0,
    "Longest wait between two attempts of a job", min=0.01, max=3600)
MAX_ATTEMPTS = SettingSpec(
    "POS_PRINT_MAX_ATTEMPTS", int, 500,
    "Attempts after which a job is marked failed (it can still be reprinted)", min=1)
FAILOVER_ATTEMPTS = SettingSpec(
    "POS_PRINT_FAILOVER_ATTEMPTS", int, 2,
    "Failed attempts after which a job moves to its printer's backup printer", min=1)
LEASE = SettingSpec(
    "POS_PRINT_LEASE_SECONDS", float, 60.0,
    "A job left printing this long by a worker that stopped (a killed process) is tried again",
    min=1, max=3600)
KITCHEN_MAX_AGE = SettingSpec(
    "POS_KITCHEN_TICKET_MAX_AGE_MINUTES", int, 30,
    "A kitchen ticket older than this is not printed when its printer comes back (expired, it "
    "can be reprinted)", scope="store", min=1, max=24 * 60)
KITCHEN_STATIONS = SettingSpec(
    "POS_KITCHEN_STATIONS", tuple, (),
    "Where each menu category is made, for a store without kitchen stations (the kds plugin's "
    "stations route printed tickets as they route the screens): category=station pairs, "
    "comma-separated (Bebidas=bar,Pizzas=forno); a printer whose role is the station prints "
    "its tickets",
    scope="store")
DEFAULT_STATION = SettingSpec(
    "POS_KITCHEN_DEFAULT_STATION", str, "cozinha",
    "Station of the items whose category POS_KITCHEN_STATIONS does not name", scope="store")
RECEIPT_HEADER = SettingSpec(
    "POS_RECEIPT_HEADER", str, "",
    "First lines of the customer receipt (the store's name, CNPJ, address; | starts a new line)",
    scope="store")
TIMEZONE = SettingSpec(
    "POS_PRINT_TIMEZONE", str, "America/Sao_Paulo",
    "Time zone of the times printed on tickets and receipts", scope="store")

ALL = [POLL, SCAN, RETRY, RETRY_MAX, MAX_ATTEMPTS, FAILOVER_ATTEMPTS, LEASE,
       KITCHEN_MAX_AGE, KITCHEN_STATIONS, DEFAULT_STATION, RECEIPT_HEADER, TIMEZONE]
