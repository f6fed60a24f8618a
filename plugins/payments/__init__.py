"""Payments: tenders of an order through pluggable providers (cash and Asaas built in), refunds,
provider webhooks, and the order's payment status."""
