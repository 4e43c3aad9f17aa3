"""How figures are shown: tables, tiles, charts, number formats, pages, the landing page, CSV tables, the spreadsheet."""
