"""The Open Delivery plugin's settings: each store's ordering application (its API), merchant
id and credentials (per store, through /api/v1/settings; secrets are never shown)."""

from __future__ import annotations

from posmodern.core.plugin_settings import SettingSpec

API_URL = SettingSpec("OPENDELIVERY_API_URL", str, None,
                      "Base URL of the store's Open Delivery ordering application", scope="store")
WEBHOOK_SECRET = SettingSpec("OPENDELIVERY_WEBHOOK_SECRET", str, None,
                             "Secret of X-App-Signature on Open Delivery webhooks; unset, "
                             "webhooks are refused", secret=True)
MERCHANT_ID = SettingSpec("OPENDELIVERY_MERCHANT_ID", str, None,
                          "The store's merchant id at its Open Delivery application; a store "
                          "that sets it takes its orders", scope="store")
CLIENT_ID = SettingSpec("OPENDELIVERY_CLIENT_ID", str, None, "Open Delivery client id",
                        scope="store")
CLIENT_SECRET = SettingSpec("OPENDELIVERY_CLIENT_SECRET", str, None,
                            "Open Delivery client secret", secret=True, scope="store")

STORE = (MERCHANT_ID, API_URL, CLIENT_ID, CLIENT_SECRET)
ALL = [WEBHOOK_SECRET, *STORE]
