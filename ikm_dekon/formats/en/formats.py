# English interface, Indonesian dates: the documents the ministry files are dated dd/mm/yyyy.
SHORT_DATE_FORMAT = "d/m/Y"
DATE_FORMAT = "j F Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
