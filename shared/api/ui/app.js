// Admin UI.
