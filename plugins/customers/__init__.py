"""Customers: who ordered, how to reach them, and their CPF/CNPJ (encrypted at rest)."""
