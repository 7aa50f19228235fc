"""The district simulator: realistic, seeded deliveries in the delivery formats of docs/inputs.md (`eduhouse simulate`)."""
