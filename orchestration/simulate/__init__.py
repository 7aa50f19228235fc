"""The district simulator: realistic, seeded deliveries in the SOURCES.md formats (`eduhouse simulate`)."""
