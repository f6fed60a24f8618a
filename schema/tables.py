"""The tables of one tenant (one client), as SQLAlchemy Core.

Every table of the seed's ``pos_modern`` schema keeps its name and columns; the tables the system
needs besides (outbox, processed events, idempotency keys, users, audit log, counters, KDS
tickets, printers, print jobs, scales, fiscal documents, refunds) follow. On PostgreSQL each
tenant gets its own schema holding these tables; on SQLite each tenant gets its own database file. The tables carry no
schema name: the database module points them at the tenant's schema per transaction.
"""

from __future__ import annotations

from posmodern.schema.types import NOW, JSONDocument, Money, Quantity, UTCDateTime, utcnow
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# Tables whose `updated_at` a PostgreSQL trigger maintains (the seed's update_updated_at_column).
UPDATED_AT_TABLES: list[str] = []


def _created_at() -> Column:
    return Column("created_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW)


def _updated_at(table_name: str) -> Column:
    UPDATED_AT_TABLES.append(table_name)
    return Column(
        "updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow,
        server_default=NOW,
    )


def _tenant_columns() -> list[Column]:
    return [
        Column("client_id", String(50), nullable=False),
        Column("store_id", String(50), nullable=False),
    ]


# --- catalog -------------------------------------------------------------------------------

categories = Table(
    "categories", metadata,
    Column("category_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(50), nullable=False),
    Column("description", Text),
    Column("parent_id", Uuid, ForeignKey("categories.category_id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("categories"),
    Index("idx_categories_client_store", "client_id", "store_id"),
    Index("idx_categories_parent", "parent_id"),
)

products = Table(
    "products", metadata,
    Column("product_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(100), nullable=False),
    Column("description", Text),
    Column("price", Money(), nullable=False),
    Column("cost", Money()),
    Column("category_id", Uuid, ForeignKey("categories.category_id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("products"),
    Column("metadata", JSONDocument()),
    Index("idx_products_client_store", "client_id", "store_id"),
    Index("idx_products_category", "category_id"),
    Index("idx_products_store_name", "store_id", "name", "product_id"),
)

# A product's options ("Ponto da carne": choose 1; "Adicionais": 0 to 3, each with a price). A
# group is kept once per store and attached to any number of products; its options live in the
# group (edited with it), each with a stable ``option_id`` that orders name.
modifier_groups = Table(
    "modifier_groups", metadata,
    Column("modifier_group_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(50), nullable=False),
    Column("min_choices", Integer, nullable=False, default=0, server_default=text("0")),
    Column("max_choices", Integer, nullable=False, default=1, server_default=text("1")),
    # [{option_id, name, price, active, external_code?}], in the order they are shown.
    Column("options", JSONDocument(), nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("modifier_groups"),
    Index("idx_modifier_groups_store_name", "store_id", "name", "modifier_group_id"),
)

product_modifier_groups = Table(
    "product_modifier_groups", metadata,
    Column("product_id", Uuid, ForeignKey("products.product_id", ondelete="CASCADE"),
           nullable=False),
    Column("modifier_group_id", Uuid,
           ForeignKey("modifier_groups.modifier_group_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("product_id", "modifier_group_id"),
    Index("idx_product_modifier_groups_group", "modifier_group_id"),
)

# --- customers -----------------------------------------------------------------------------

customers = Table(
    "customers", metadata,
    Column("customer_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(100), nullable=False),
    Column("email", String(100)),
    Column("phone", String(20)),
    Column("document_type", String(10)),
    # Encrypted at rest (the seed's VARCHAR(20) holds the plain number; a token needs more room).
    Column("document_number", String(255)),
    # Keyed hash of the normalized number, so a document can be looked up without decrypting.
    Column("document_hash", String(64)),
    Column("address", JSONDocument()),
    _created_at(),
    _updated_at("customers"),
    Column("metadata", JSONDocument()),
    Index("idx_customers_client_store", "client_id", "store_id"),
    Index("idx_customers_email", "email"),
    Index("idx_customers_phone", "phone"),
    # One document per store (a race between two registrations is decided here).
    Index("idx_customers_store_document", "store_id", "document_hash", unique=True),
)

# --- waiter (layouts and tables) -----------------------------------------------------------

layouts = Table(
    "layouts", metadata,
    Column("layout_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(100), nullable=False),
    Column("description", Text),
    Column("is_active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("layouts"),
    Column("elements", JSONDocument(), nullable=False),
    Column("sections", JSONDocument()),
    Index("idx_layouts_client_store", "client_id", "store_id"),
)

tables = Table(
    "tables", metadata,
    Column("table_id", Uuid, primary_key=True),
    Column("layout_id", Uuid, ForeignKey("layouts.layout_id"), nullable=False),
    Column("table_number", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("occupied_seats", Integer),
    Column("waiter_id", Uuid),
    Column("occupied_at", UTCDateTime()),
    Column("reserved_until", UTCDateTime()),
    Column("current_order_id", Uuid),
    Column("section", String(50)),
    # Where the table is drawn on its layout's floor map (grid units) and how.
    Column("shape", String(10), nullable=False, server_default=text("'square'")),
    Column("pos_x", Integer, nullable=False, server_default=text("0")),
    Column("pos_y", Integer, nullable=False, server_default=text("0")),
    Column("width", Integer, nullable=False, server_default=text("1")),
    Column("height", Integer, nullable=False, server_default=text("1")),
    Index("idx_tables_layout", "layout_id"),
    Index("idx_tables_status", "status"),
)

# --- orders --------------------------------------------------------------------------------

orders = Table(
    "orders", metadata,
    Column("order_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("order_number", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("customer_id", Uuid, ForeignKey("customers.customer_id", ondelete="SET NULL")),
    Column("waiter_id", Uuid),
    Column("table_id", Uuid, ForeignKey("tables.table_id", ondelete="SET NULL")),
    _created_at(),
    _updated_at("orders"),
    Column("subtotal", Money(), nullable=False),
    Column("tax", Money(), nullable=False),
    Column("discount", Money(), nullable=False),
    Column("total", Money(), nullable=False),
    Column("payment_status", String(20), nullable=False),
    Column("notes", Text),
    Column("metadata", JSONDocument()),
    # Where the order came from (pos, waiter, kiosk, remote) and, for delivery apps, their id.
    Column("source", String(20), nullable=False, default="pos", server_default="pos"),
    Column("external_id", String(100)),
    Index("idx_orders_client_store", "client_id", "store_id"),
    Index("idx_orders_status", "status"),
    Index("idx_orders_created_at", "created_at"),
    Index("idx_orders_store_created", "store_id", "created_at", "order_id"),
    Index("idx_orders_table", "table_id"),
    Index("idx_orders_customer", "customer_id"),
    UniqueConstraint("store_id", "order_number", name="uq_orders_store_number"),
    UniqueConstraint("store_id", "source", "external_id", name="uq_orders_store_external"),
)

order_items = Table(
    "order_items", metadata,
    Column("item_id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
    Column("product_id", Uuid, ForeignKey("products.product_id"), nullable=False),
    Column("quantity", Quantity(), nullable=False),
    Column("unit_price", Money(), nullable=False),
    Column("subtotal", Money(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("notes", Text),
    Column("customizations", JSONDocument()),
    _created_at(),
    _updated_at("order_items"),
    # The product's name when ordered: receipts and kitchen tickets must not change with the menu.
    Column("product_name", String(100)),
    # The options chosen, with their names and prices when ordered (the catalog may change).
    Column("modifiers", JSONDocument()),
    Index("idx_order_items_order_id", "order_id"),
)

counters = Table(
    "counters", metadata,
    # Per-store sequences (order numbers, fiscal numbers): one row locked per increment.
    Column("store_id", String(50), nullable=False),
    Column("name", String(50), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("store_id", "name", name="pk_counters"),
)

# --- payments ------------------------------------------------------------------------------

payments = Table(
    "payments", metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.order_id"), nullable=False),
    *_tenant_columns(),
    Column("amount", Money(), nullable=False),
    Column("payment_method", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("external_id", String(100)),
    _created_at(),
    _updated_at("payments"),
    Column("metadata", JSONDocument()),
    Column("provider", String(50), nullable=False, default="cash", server_default="cash"),
    Column("tendered_amount", Money()),
    Column("change_due", Money(), nullable=False, default=0, server_default="0"),
    Column("refunded_amount", Money(), nullable=False, default=0, server_default="0"),
    Index("idx_payments_order_id", "order_id"),
    Index("idx_payments_client_store", "client_id", "store_id"),
    Index("idx_payments_status", "status"),
    Index("idx_payments_external", "provider", "external_id"),
)

refunds = Table(
    "refunds", metadata,
    Column("refund_id", Uuid, primary_key=True),
    Column("payment_id", Uuid, ForeignKey("payments.payment_id"), nullable=False),
    *_tenant_columns(),
    Column("amount", Money(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("external_id", String(100)),
    _created_at(),
    _updated_at("refunds"),
    Column("metadata", JSONDocument()),
    Index("idx_refunds_payment", "payment_id"),
)

# --- stock ---------------------------------------------------------------------------------

stock_items = Table(
    "stock_items", metadata,
    Column("stock_item_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("product_id", Uuid, ForeignKey("products.product_id"), nullable=False),
    Column("quantity", Quantity(), nullable=False),
    Column("min_quantity", Quantity()),
    Column("max_quantity", Quantity()),
    _created_at(),
    _updated_at("stock_items"),
    Index("idx_stock_items_client_store", "client_id", "store_id"),
    Index("idx_stock_items_product", "product_id"),
    UniqueConstraint("store_id", "product_id", name="uq_stock_items_store_product"),
)

stock_movements = Table(
    "stock_movements", metadata,
    Column("movement_id", Uuid, primary_key=True),
    Column("stock_item_id", Uuid, ForeignKey("stock_items.stock_item_id"), nullable=False),
    Column("quantity", Quantity(), nullable=False),
    Column("movement_type", String(20), nullable=False),
    Column("reference_id", Uuid),
    Column("reference_type", String(20)),
    _created_at(),
    Column("notes", Text),
    Column("reason", String(50)),
    Index("idx_stock_movements_stock_item", "stock_item_id"),
    Index("idx_stock_movements_reference", "reference_id"),
)

# --- configuration -------------------------------------------------------------------------

configurations = Table(
    "configurations", metadata,
    Column("config_id", Uuid, primary_key=True),
    Column("client_id", String(50), nullable=False),
    Column("store_id", String(50)),
    Column("config_key", String(100), nullable=False),
    Column("config_value", JSONDocument(), nullable=False),
    _created_at(),
    _updated_at("configurations"),
    Index("idx_configurations_key", "client_id", "store_id", "config_key", unique=True),
)

# --- kitchen, peripherals, fiscal ----------------------------------------------------------

kds_stations = Table(
    "kds_stations", metadata,
    # A kitchen station (cozinha, bar, sobremesas…) or the expo: which items its screen shows.
    Column("station_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("code", String(50), nullable=False),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("category_ids", JSONDocument(), nullable=False),
    Column("product_ids", JSONDocument(), nullable=False),
    # A ticket's age colours: under warn_minutes fine, under late_minutes warning, then late.
    Column("warn_minutes", Integer, nullable=False, default=8, server_default="8"),
    Column("late_minutes", Integer, nullable=False, default=15, server_default="15"),
    Column("position", Integer, nullable=False, default=0, server_default="0"),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("kds_stations"),
    UniqueConstraint("store_id", "code", name="uq_kds_stations_store_code"),
)

kds_tickets = Table(
    "kds_tickets", metadata,
    Column("ticket_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("order_id", Uuid, ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
    Column("order_number", String(20), nullable=False),
    Column("station", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("items", JSONDocument(), nullable=False),
    _created_at(),
    _updated_at("kds_tickets"),
    Column("bumped_at", UTCDateTime()),
    # 0: the order's first ticket at this station; 1, 2…: items added later.
    Column("round", Integer, nullable=False, default=0, server_default="0"),
    Column("started_at", UTCDateTime()),
    # Held items (a later course) wait on a HELD ticket until fired: the timer runs from then.
    Column("fired_at", UTCDateTime()),
    Column("recalled_at", UTCDateTime()),
    # A void or a cancellation the cooks have not acknowledged yet (the ticket flashes).
    Column("alert", String(20)),
    Column("alert_at", UTCDateTime()),
    # Order number, source, table, customer: what the screen prints on the ticket.
    Column("details", JSONDocument()),
    Index("idx_kds_tickets_station", "store_id", "station", "status"),
    Index("idx_kds_tickets_order", "order_id"),
    UniqueConstraint("order_id", "station", "round", name="uq_kds_tickets_order_station_round"),
)

kds_changes = Table(
    "kds_changes", metadata,
    # Every change of a ticket, numbered: a reconnecting screen replays what it missed.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("store_id", String(50), nullable=False),
    Column("station", String(50), nullable=False),
    Column("ticket_id", Uuid, nullable=False),
    Column("change", String(20), nullable=False),
    Column("ticket", JSONDocument(), nullable=False),
    _created_at(),
    Index("idx_kds_changes_store_seq", "store_id", "seq"),
)

printers = Table(
    "printers", metadata,
    Column("printer_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(100), nullable=False),
    Column("driver", String(50), nullable=False),
    Column("connection", JSONDocument(), nullable=False),
    # What it prints: "receipt", "bar", or the name of a kitchen station.
    Column("role", String(50), nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    _created_at(),
    _updated_at("printers"),
    Column("paper_mm", Integer, nullable=False, default=80, server_default="80"),
    Column("profile", String(50), nullable=False, default="generic",
           server_default="generic"),
    # Where its jobs go while it is offline: a printer of the same role and store.
    Column("backup_printer_id", Uuid),
    Index("idx_printers_client_store", "client_id", "store_id"),
    Index("idx_printers_store_role", "store_id", "role"),
)

print_jobs = Table(
    "print_jobs", metadata,
    Column("job_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("printer_id", Uuid, ForeignKey("printers.printer_id", ondelete="SET NULL")),
    Column("kind", String(20), nullable=False),
    Column("reference_type", String(20)),
    Column("reference_id", Uuid),
    Column("payload", JSONDocument(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text),
    _created_at(),
    _updated_at("print_jobs"),
    Column("printed_at", UTCDateTime()),
    Column("role", String(50), nullable=False),
    # One job per order, kind and station: a redelivered or replayed event finds it.
    Column("dedupe_key", String(200)),
    Column("next_attempt_at", UTCDateTime()),
    # A job left "printing" past this time was abandoned by its worker (a killed process).
    Column("lease_until", UTCDateTime()),
    Column("reprint_of", Uuid),
    Index("idx_print_jobs_status", "status", "created_at"),
    Index("idx_print_jobs_printer_status", "printer_id", "status"),
    Index("idx_print_jobs_reference", "reference_id"),
    Index("idx_print_jobs_dedupe", "dedupe_key", unique=True),
)

scales = Table(
    "scales", metadata,
    Column("scale_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("name", String(100), nullable=False),
    Column("protocol", String(30), nullable=False),
    Column("connection", JSONDocument(), nullable=False),
    _created_at(),
    _updated_at("scales"),
    Index("idx_scales_client_store", "client_id", "store_id"),
)

fiscal_documents = Table(
    "fiscal_documents", metadata,
    Column("document_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("order_id", Uuid, ForeignKey("orders.order_id"), nullable=False),
    Column("model", String(2), nullable=False),
    Column("series", Integer, nullable=False),
    # None while the note waits for data (a product without its fiscal data): no number is
    # taken until the note can be built.
    Column("number", BigInteger),
    Column("access_key", String(44)),
    Column("status", String(20), nullable=False),
    Column("contingency", Boolean, nullable=False, default=False, server_default=text("false")),
    Column("xml", Text),
    Column("protocol", String(50)),
    Column("issued_at", UTCDateTime()),
    _created_at(),
    _updated_at("fiscal_documents"),
    Column("metadata", JSONDocument()),
    # SEFAZ's last answer (cStat and xMotivo), or why the note waits.
    Column("status_code", String(5)),
    Column("reason", Text),
    Column("xml_sha256", String(64)),
    Column("qr_url", Text),
    Column("attempts", Integer, nullable=False, default=0, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime()),
    # The note a contingency note stands in for (sent without an answer, consulted later).
    Column("replaces_id", Uuid),
    Index("idx_fiscal_documents_order", "order_id"),
    Index("idx_fiscal_documents_status", "status", "next_attempt_at"),
    UniqueConstraint("store_id", "model", "series", "number", name="uq_fiscal_documents_number"),
)

fiscal_series = Table(
    "fiscal_series", metadata,
    Column("series_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("model", String(2), nullable=False),
    Column("series", Integer, nullable=False),
    Column("next_number", BigInteger, nullable=False),
    _created_at(),
    _updated_at("fiscal_series"),
    UniqueConstraint("store_id", "model", "series", name="uq_fiscal_series"),
)

fiscal_products = Table(
    "fiscal_products", metadata,
    Column("fiscal_product_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("product_id", Uuid, ForeignKey("products.product_id"), nullable=False),
    Column("ncm", String(8), nullable=False),
    Column("cfop", String(4), nullable=False),
    Column("cst", String(3), nullable=False),
    Column("origin", Integer, nullable=False),
    Column("cest", String(7)),
    Column("cst_ibscbs", String(3), nullable=False),
    Column("cclass_trib", String(6), nullable=False),
    Column("ibs_rate", Quantity(7, 4), nullable=False),
    Column("cbs_rate", Quantity(7, 4), nullable=False),
    # pICMS and pRedBC in % (CST 00 and 20 only), pFCP in % (CST 00 and 20, optional).
    Column("icms_rate", Quantity(7, 4)),
    Column("icms_base_reduction", Quantity(7, 4)),
    Column("fcp_rate", Quantity(7, 4)),
    # CST 60 / CSOSN 500: the ICMS-ST retained before (per unit, and pST in %), the effective
    # ICMS (pRedBCEfet, pICMSEfet in %); all optional.
    Column("st_rate", Quantity(7, 4)),
    Column("effective_base_reduction", Quantity(7, 4)),
    Column("effective_icms_rate", Quantity(7, 4)),
    Column("st_retained_base", Quantity(14, 4)),
    Column("st_substitute_icms", Quantity(14, 4)),
    Column("st_retained_icms", Quantity(14, 4)),
    _created_at(),
    _updated_at("fiscal_products"),
    UniqueConstraint("store_id", "product_id", name="uq_fiscal_products_product"),
)

# --- kiosk ---------------------------------------------------------------------------------

kiosk_orders = Table(
    "kiosk_orders", metadata,
    Column("kiosk_order_id", Uuid, primary_key=True),
    *_tenant_columns(),
    # The order the orders plugin placed for it (the kiosk never writes orders).
    Column("order_id", Uuid, nullable=False),
    Column("order_number", String(20), nullable=False),
    # The name the counter calls, eat-in or takeaway, PIX on the screen or pay at the counter.
    Column("customer_name", String(40), nullable=False),
    Column("service", String(10), nullable=False),
    Column("payment", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("total", Money(), nullable=False),
    Column("payment_id", Uuid),
    # The PIX code shown on the screen (copy-and-paste payload, QR image).
    Column("pix", JSONDocument()),
    # An unpaid PIX order is cancelled after this time.
    Column("expires_at", UTCDateTime()),
    _created_at(),
    _updated_at("kiosk_orders"),
    Index("idx_kiosk_orders_order", "order_id", unique=True),
    Index("idx_kiosk_orders_store_status", "store_id", "status", "expires_at"),
)

# --- security ------------------------------------------------------------------------------

users = Table(
    "users", metadata,
    Column("user_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("username", String(100), nullable=False),
    Column("full_name", String(100)),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSONDocument(), nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=text("true")),
    # In every token issued; a change to the user increments it (core/revocation.py).
    Column("token_version", Integer, nullable=False, default=0, server_default=text("0")),
    Column("last_login_at", UTCDateTime()),
    _created_at(),
    _updated_at("users"),
    UniqueConstraint("username", name="uq_users_username"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("audit_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("occurred_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
    Column("user_id", Uuid),
    Column("username", String(100)),
    Column("action", String(100), nullable=False),
    Column("resource_type", String(50)),
    Column("resource_id", String(100)),
    Column("details", JSONDocument()),
    Column("request_id", String(64)),
    # Tamper evidence (core/audit.py): the rows' order, and a hash of the previous row's hash
    # and this row's content.
    Column("seq", BigInteger().with_variant(Integer, "sqlite")),
    Column("chain_hash", String(64)),
    Index("idx_audit_log_occurred", "occurred_at"),
    Index("uq_audit_log_seq", "seq", unique=True),
    Index("idx_audit_log_resource", "resource_type", "resource_id"),
)

# --- plumbing: outbox, consumer dedupe, idempotency ----------------------------------------

outbox = Table(
    "outbox", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("payload", JSONDocument(), nullable=False),
    _created_at(),
    Column("published_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text),
    Index(
        "idx_outbox_pending", "seq",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

processed_events = Table(
    "processed_events", metadata,
    Column("consumer", String(100), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("processed_at", UTCDateTime(), nullable=False, default=utcnow, server_default=NOW),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_processed_events"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("idempotency_key", String(255), primary_key=True),
    Column("route", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", JSONDocument()),
    _created_at(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("idx_idempotency_keys_expires", "expires_at"),
)

# --- counter (the cashier's shifts and drawer) ---------------------------------------------

cash_shifts = Table(
    "cash_shifts", metadata,
    Column("shift_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("status", String(20), nullable=False),
    Column("opening_amount", Money(), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    # Filled when the shift closes: what the cashier counted, what the drawer should hold.
    Column("counted_amount", Money()),
    Column("expected_amount", Money()),
    Column("closed_by", String(100)),
    Column("closed_at", UTCDateTime()),
    Column("notes", Text),
    _created_at(),
    _updated_at("cash_shifts"),
    Index("idx_cash_shifts_store_opened", "store_id", "opened_at"),
    # One drawer per store: at most one open shift.
    Index("uq_cash_shifts_open", "store_id", unique=True,
          postgresql_where=text("status = 'OPEN'"), sqlite_where=text("status = 'OPEN'")),
)

cash_movements = Table(
    "cash_movements", metadata,
    Column("movement_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("shift_id", Uuid, ForeignKey("cash_shifts.shift_id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("reason", String(200)),
    Column("username", String(100), nullable=False),
    _created_at(),
    Index("idx_cash_movements_shift", "shift_id"),
)

# --- remote orders (delivery apps) ---------------------------------------------------------

remote_orders = Table(
    "remote_orders", metadata,
    # One row per marketplace order (channel, its id): what makes taking it exactly once.
    Column("remote_order_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("channel", String(30), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("merchant_id", String(100), nullable=False),
    Column("display_id", String(50)),
    # Our order; none when the order was refused (an unknown product, a malformed payload).
    Column("order_id", Uuid),
    # TAKEN, REFUSED, CANCELLED (by the marketplace)
    Column("status", String(20), nullable=False),
    Column("problem", JSONDocument()),
    Column("scheduled_for", UTCDateTime()),
    Column("placed_at", UTCDateTime()),
    _created_at(),
    _updated_at("remote_orders"),
    UniqueConstraint("channel", "external_id", name="uq_remote_orders_channel_external"),
    Index("idx_remote_orders_order", "order_id"),
    Index("idx_remote_orders_store_created", "store_id", "created_at"),
)

remote_events = Table(
    "remote_events", metadata,
    # Every marketplace event handled, written with what it did: a repeat is recognised here.
    Column("channel", String(30), nullable=False),
    Column("event_id", String(100), nullable=False),
    *_tenant_columns(),
    Column("external_id", String(100), nullable=False),
    Column("code", String(50), nullable=False),
    # handled, ignored (nothing to do), unknown (a code we do not know: reported)
    Column("outcome", String(20), nullable=False),
    Column("payload", JSONDocument()),
    Column("occurred_at", UTCDateTime(), nullable=False),
    _created_at(),
    PrimaryKeyConstraint("channel", "event_id", name="pk_remote_events"),
    Index("idx_remote_events_outcome", "outcome", "created_at"),
)

remote_actions = Table(
    "remote_actions", metadata,
    # What our order did, still to be told to the marketplace (confirm, dispatch …): once each.
    Column("action_id", Uuid, primary_key=True),
    *_tenant_columns(),
    Column("channel", String(30), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("merchant_id", String(100), nullable=False),
    Column("action", String(30), nullable=False),
    Column("reason", JSONDocument()),
    # PENDING, SENT, FAILED (given up after too many attempts)
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    _created_at(),
    UniqueConstraint("channel", "external_id", "action", name="uq_remote_actions_once"),
    Index("idx_remote_actions_pending", "status", "next_attempt_at"),
)
