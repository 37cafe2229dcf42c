"""WTForms forms, one module per feature; labels and errors are translatable."""
