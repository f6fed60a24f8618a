"""The iFood plugin's settings: the app's API and webhook secret (process), each store's
merchant id and credentials (per store, through /api/v1/settings; secrets are never shown)."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

API_URL = SettingSpec("IFOOD_API_URL", str, "https://merchant-api.ifood.com.br",
                      "Base URL of iFood's Merchant API")
WEBHOOK_SECRET = SettingSpec("IFOOD_WEBHOOK_SECRET", str, None,
                             "Secret of X-IFood-Signature on iFood's webhooks (the app's client "
                             "secret); unset, webhooks are refused", secret=True)
MERCHANT_ID = SettingSpec("IFOOD_MERCHANT_ID", str, None,
                          "The store's merchant id at iFood; a store that sets it takes iFood "
                          "orders", scope="store")
CLIENT_ID = SettingSpec("IFOOD_CLIENT_ID", str, None, "iFood app client id", scope="store")
CLIENT_SECRET = SettingSpec("IFOOD_CLIENT_SECRET", str, None, "iFood app client secret",
                            secret=True, scope="store")

STORE = (MERCHANT_ID, CLIENT_ID, CLIENT_SECRET)
ALL = [API_URL, WEBHOOK_SECRET, *STORE]
