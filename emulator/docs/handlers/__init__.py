"""The handlers of documents.batchUpdate, one module per kind of request (text, tables, images);
`emulator.docs.batch` maps each request name to its handler."""
