"""The SAT-CF-e plugin (legacy): CF-e de venda and cancelamento through a store's SAT or MF-e."""
