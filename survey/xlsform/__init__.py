"""XLSForm workbooks: reader, writer and the expression language."""
