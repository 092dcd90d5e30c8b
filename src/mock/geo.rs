//! IP table (todo)
