-- Sealed research is AES-256-GCM ciphertext: it does not compress. With the default storage a
-- response of more than about 2 kB (a police or health answer) cost PostgreSQL a failed pglz
-- attempt and an insert into the TOAST table and its index on every answer. Keep rows up to a
-- page inline and never try to compress the ciphertext; larger ones still go out of line.
ALTER TABLE responses ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
ALTER TABLE responses SET (toast_tuple_target = 8160);
