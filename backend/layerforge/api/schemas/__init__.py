"""Request and response models of the API that are not the graph's or the data sets'."""
