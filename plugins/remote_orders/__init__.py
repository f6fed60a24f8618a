"""Delivery-app orders (iFood, Open Delivery …): taken once each, followed both ways."""
