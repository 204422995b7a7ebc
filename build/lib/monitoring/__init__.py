"""Prevention of poverty caused by illness (防范因病致贫返贫): hospital settlement records, each
person's yearly burden, warnings and their follow-up by the township, and the city overview."""
