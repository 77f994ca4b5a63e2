"""Delivery channels: each turns one logged notification into one outside call."""
