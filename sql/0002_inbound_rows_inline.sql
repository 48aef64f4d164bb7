-- Keep inbound rows of up to one page inline and uncompressed: most HL7
-- messages are a few KB, and compressing them on the way in (pglz, tried
-- on every row over ~2 KB) cost more CPU than the rest of the insert.
-- Larger messages are still compressed and moved out of line (TOAST).
ALTER TABLE inbound_messages SET (toast_tuple_target = 8160);
