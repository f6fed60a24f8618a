"""The menu: categories (nested) and products with their prices, which orders are priced from."""
