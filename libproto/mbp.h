/*
 * mbp.h - meta-buffer-pack (npm meta-buffer-pack 2.0.6).
 *
 * A pack is: data bytes || JSON meta || u16 BE length of the meta.
 * The meta is [[name,type,offset,length],...] with offsets counted from the
 * first byte of the pack. Unnamed items (name NULL, "" or containing '#')
 * are not described in the meta; a pack without any named item has no meta
 * and no tail at all.
 */
#ifndef PROTO_MBP_H
#define PROTO_MBP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MBP_MAX_FIELDS	64	/* fields a decoded meta may describe */
#define MBP_NAME_MAX	64	/* bytes of a field name, NUL included */
#define MBP_TYPE_MAX	8	/* bytes of a type code, NUL included */

enum mbp_type {
	MBP_U8, MBP_I8,
	MBP_U16, MBP_U16L, MBP_I16, MBP_I16L,
	MBP_U32, MBP_U32L, MBP_I32, MBP_I32L,
	MBP_F32, MBP_F32L,
	MBP_BYTES,	/* "B" */
	MBP_STRING,	/* "S" UTF-8 */
	MBP_NUMBER,	/* "N" a number written in decimal */
	MBP_JSON,	/* "O" JSON text */
	MBP_BOOL,	/* "!" one byte, 1 = true */
};
#define MBP_TYPE_COUNT (MBP_BOOL + 1)

/* Canonical code written in a meta ("16L", "B", ...). */
const char *mbp_type_code(enum mbp_type t);
/* Parse a type code the way the reference does (case-insensitive
 * substring tests, in its order). Returns 0 or PROTO_ETYPE. */
int mbp_type_parse(const char *code, size_t len, enum mbp_type *t);
/* Fixed width of numeric types, 0 for variable-length ones. */
size_t mbp_type_width(enum mbp_type t);

/* ---- encoding ---- */

struct mbp_item {
	const char *name;	/* NULL/""/"#..." = unnamed; ignored if index >= 0 */
	int index;		/* >= 0: an MBA argument named by this number */
	enum mbp_type type;
	int64_t num;		/* integer value of numeric types and N */
	double fnum;		/* value of F32/F32L */
	const uint8_t *data;	/* B, S, O: the bytes; BOOL: unused */
	size_t len;
	bool flag;		/* BOOL value */
};

/* Convenience initialisers. */
struct mbp_item mbp_int(const char *name, enum mbp_type t, int64_t v);
struct mbp_item mbp_bytes(const char *name, enum mbp_type t,
    const void *data, size_t len);
struct mbp_item mbp_str(const char *name, const char *s);

/* Encoded size of items in this order, or a negative error. */
long mbp_encoded_size(const struct mbp_item *items, size_t n);
/* Encode items in this order (the caller places MBA arguments last, as the
 * reference's pack() does). Returns the length or a negative error. */
long mbp_encode(const struct mbp_item *items, size_t n, uint8_t *out,
    size_t cap);

/* ---- decoding ---- */

struct mbp_field {
	char name[MBP_NAME_MAX];	/* string name, or the decimal index */
	int index;			/* MBA argument index, or -1 */
	enum mbp_type type;
	const uint8_t *data;		/* into the decoded buffer */
	uint32_t off;
	uint32_t len;
};

struct mbp_pack {
	size_t nfields;
	struct mbp_field fields[MBP_MAX_FIELDS];
	size_t data_len;	/* bytes before the meta */
	size_t nargs;		/* MBA args 0..nargs-1, to the first falsy one */
	const struct mbp_field *args[MBP_MAX_FIELDS];
};

/* Length of the meta JSON named by the tail, 0 if the buffer has no valid
 * meta (the reference's getMetaSize). */
size_t mbp_meta_size(const uint8_t *buf, size_t len);

/*
 * Decode a pack with embedded meta. Every field must lie inside the buffer
 * and fixed-width fields must have room for their width.
 * Returns 0, PROTO_EMETA (no/invalid meta), PROTO_ETYPE, PROTO_ETRUNC,
 * PROTO_ETOOBIG (too many fields), PROTO_EUTF8 (bad S/N/O text).
 */
int mbp_decode(const uint8_t *buf, size_t len, struct mbp_pack *out);

const struct mbp_field *mbp_get(const struct mbp_pack *p, const char *name);

/* Numeric value of a fixed-width or N field; PROTO_ETYPE otherwise. */
int mbp_field_int(const struct mbp_field *f, int64_t *v);
int mbp_field_double(const struct mbp_field *f, double *v);
/* The reference's JS truthiness of the decoded value (used to stop args). */
bool mbp_field_truthy(const struct mbp_field *f);

#endif
