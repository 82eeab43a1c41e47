# Placeholder: install rules and the exported package (see README).
