/* HJ 212 fast path in C (optional speed-up of greensword.hj212.codec).
 *
 * One pass over a frame that checks exactly what codec._fast_segment and the framing checks of
 * codec.parse check for the common, well-formed packet, and builds its fields:
 *
 *   ##dddd QN=<17-digit stamp>;ST=dd;CN=dddd;PW=[^;=&]*;MN=[^;=&]+;Flag=d{1,3};CP=&&<items>&& CRC \r\n
 *
 * with an upper-case CRC that matches, an ASCII data segment no longer than the rules' limit,
 * Flag <= 255 without the sub-packet bit, a known edition and command, items
 * ``factor-Name=value`` / ``TimeKey=stamp`` separated by ';' or ',' whose values fit their kind,
 * no repeated key, and DataTime present in data uploads.
 *
 * Anything else returns None and the Python code takes over (it names the exact problem or the
 * quirk). So the C path never decides an error: it only accepts what the Python paths accept, and
 * gives the same result (a Hypothesis property test compares them).
 *
 *   configure(numeric, times, strings, flags, versions, commands, edition_commands, uploads,
 *             surface_water_st, max_len)      -- the protocol rules, once per rules object
 *   scan(frame)   -> Packet constructor arguments (tuple) or None
 *   decode(frame) -> the JSON-ready dict of `hj212 parse` (header, decoded CP, edition) or None
 *
 * Built at install time by setup.py (optional: without a C compiler the Python code runs). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static unsigned short T[256];

/* ---- configuration ------------------------------------------------------------------------ */

#define MAXNAMES 64
#define NAMELEN 32
typedef struct { int n; char s[MAXNAMES][NAMELEN]; unsigned char len[MAXNAMES]; } names_t;

static names_t NUMERIC, TIMES, STRINGS;
static char FLAGCH[256];
static PyObject *VERSIONS[64];         /* flag >> 2 -> edition str (new refs) or NULL */
static PyObject *COMMANDS, *EDITION_COMMANDS, *UPLOADS, *SURFACE_ST;
static Py_ssize_t MAX_LEN = 1024;
static int CONFIGURED = 0;

static PyObject *S_QN, *S_ST, *S_CN, *S_PW, *S_MN, *S_FLAG, *S_PNUM, *S_PNO, *S_CP, *S_EDITION,
    *S_DATATIME, *S_2017, *S_2025, *EMPTY_TUPLE;

/* ---- key cache: key bytes -> key str, factor str, name str, grammar bits, decode kind ------- */

enum { G_NUM = 1, G_FLAG = 2, G_EFLAG = 4, G_TIME = 8 };
enum { K_STRING = 0, K_NUM = 1, K_TIME = 2, K_OTHER = 3 };

typedef struct {
    char *bytes;
    Py_ssize_t len;
    Py_hash_t h;
    PyObject *key, *factor, *name;   /* factor NULL for a bare key */
    int grammar;                     /* 0: not a key the fast path takes */
    int kind;
} keyent;

#define CACHE_SIZE 8192              /* power of two; entries beyond 3/4 are not cached */
static keyent CACHE[CACHE_SIZE];
static int CACHE_USED = 0;

static void cache_clear(void) {
    for (int i = 0; i < CACHE_SIZE; i++) {
        keyent *e = &CACHE[i];
        if (e->bytes) {
            PyMem_Free(e->bytes);
            Py_XDECREF(e->key);
            Py_XDECREF(e->factor);
            Py_XDECREF(e->name);
        }
        memset(e, 0, sizeof(*e));
    }
    CACHE_USED = 0;
}

static int in_names(const names_t *t, const char *p, Py_ssize_t n) {
    for (int i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->s[i], p, n) == 0) return 1;
    return 0;
}

static int is_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static Py_hash_t fnv(const char *p, Py_ssize_t n) {
    unsigned long long h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) { h ^= (unsigned char)p[i]; h *= 1099511628211ULL; }
    return (Py_hash_t)(h & 0x7fffffffffffffffULL);
}

/* Fill *e for key p[0:n] (a fresh entry, not in the cache). Returns -1 on a Python error. */
static int classify(keyent *e, const char *p, Py_ssize_t n) {
    const char *dash = memchr(p, '-', n);
    const char *name;
    Py_ssize_t nlen;
    e->grammar = 0;
    if (dash) {
        /* grammar: [A-Za-z0-9]+ '-' Name, Name one of the allowed suffixes (none holds '-') */
        Py_ssize_t flen = dash - p;
        name = dash + 1;
        nlen = n - flen - 1;
        int ok = flen > 0 && memchr(name, '-', nlen) == NULL;
        for (Py_ssize_t i = 0; ok && i < flen; i++) ok = is_alnum((unsigned char)p[i]);
        if (ok) {
            if (in_names(&NUMERIC, name, nlen)) e->grammar |= G_NUM;
            if (nlen == 4 && memcmp(name, "Flag", 4) == 0) e->grammar |= G_FLAG;
            if (nlen == 5 && memcmp(name, "EFlag", 5) == 0) e->grammar |= G_EFLAG;
            if (in_names(&TIMES, name, nlen)) e->grammar |= G_TIME;
        }
    } else {
        name = p;
        nlen = n;
        if (in_names(&TIMES, p, n)) e->grammar = G_TIME;
    }
    /* decode kind (codec._key_meta): the name after the last '-' */
    const char *last = p + n;
    while (last > p && last[-1] != '-') last--;
    Py_ssize_t llen = p + n - last;
    e->kind = in_names(&NUMERIC, last, llen) ? K_NUM : in_names(&TIMES, last, llen) ? K_TIME
              : in_names(&STRINGS, last, llen) ? K_STRING : K_OTHER;
    e->key = PyUnicode_DecodeASCII(p, n, NULL);
    if (!e->key) return -1;
    if (last - 1 > p) {            /* i > 0 in _key_meta: a factor */
        e->factor = PyUnicode_DecodeASCII(p, last - 1 - p, NULL);
        e->name = PyUnicode_DecodeASCII(last, llen, NULL);
        if (!e->factor || !e->name) return -1;
        PyUnicode_InternInPlace(&e->factor);
    } else {
        e->factor = NULL;
        e->name = NULL;
    }
    PyUnicode_InternInPlace(&e->key);
    (void)name;
    return 0;
}

/* The cached entry of key p[0:n]; *tmp is used (and must be released) when the cache is full. */
static keyent *lookup(const char *p, Py_ssize_t n, keyent *tmp) {
    Py_hash_t h = fnv(p, n);
    size_t i = (size_t)h & (CACHE_SIZE - 1);
    for (;;) {
        keyent *e = &CACHE[i];
        if (!e->bytes) break;
        if (e->h == h && e->len == n && memcmp(e->bytes, p, n) == 0) return e;
        i = (i + 1) & (CACHE_SIZE - 1);
    }
    keyent *e = CACHE_USED < CACHE_SIZE * 3 / 4 && n < 256 ? &CACHE[i] : tmp;
    memset(e, 0, sizeof(*e));
    if (classify(e, p, n) < 0) {
        Py_CLEAR(e->key); Py_CLEAR(e->factor); Py_CLEAR(e->name);
        return NULL;
    }
    if (e != tmp) {
        e->bytes = PyMem_Malloc(n ? n : 1);
        if (!e->bytes) {
            Py_CLEAR(e->key); Py_CLEAR(e->factor); Py_CLEAR(e->name);
            PyErr_NoMemory();
            return NULL;
        }
        memcpy(e->bytes, p, n);
        e->len = n;
        e->h = h;
        CACHE_USED++;
    }
    return e;
}

static void release_tmp(keyent *e, keyent *tmp) {
    if (e == tmp) { Py_CLEAR(tmp->key); Py_CLEAR(tmp->factor); Py_CLEAR(tmp->name); }
}

/* ---- value grammar ------------------------------------------------------------------------ */

static int digits(const char *p, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

static int num2(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* 14 digits yyyyMMddHHmmss naming a real moment (year 0001-9999). */
static int stamp14(const char *p, Py_ssize_t n) {
    if (n != 14 || !digits(p, 14)) return 0;
    int y = num2(p) * 100 + num2(p + 2), mo = num2(p + 4), d = num2(p + 6);
    if (y == 0 || mo < 1 || mo > 12 || d < 1 || num2(p + 8) > 23 || num2(p + 10) > 59 || num2(p + 12) > 59)
        return 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int md = mdays[mo - 1];
    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) md = 29;
    return d <= md;
}

/* [-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?  -- *isfloat: holds '.', 'e' or 'E' */
static int number(const char *p, Py_ssize_t n, int *isfloat) {
    Py_ssize_t i = 0, d1 = 0, d2 = 0;
    *isfloat = 0;
    if (i < n && (p[i] == '-' || p[i] == '+')) i++;
    while (i < n && p[i] >= '0' && p[i] <= '9') { i++; d1++; }
    if (i < n && p[i] == '.') {
        i++;
        *isfloat = 1;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; d2++; }
    }
    if (d1 == 0 && d2 == 0) return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        *isfloat = 1;
        if (i < n && (p[i] == '-' || p[i] == '+')) i++;
        Py_ssize_t d3 = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; d3++; }
        if (d3 == 0) return 0;
    }
    return i == n;
}

static int value_ok(int grammar, const char *p, Py_ssize_t n) {
    int f;
    if ((grammar & G_NUM) && number(p, n, &f)) return 1;
    if ((grammar & G_FLAG) && n == 1 && FLAGCH[(unsigned char)p[0]]) return 1;
    if (grammar & G_EFLAG) {
        int ok = n > 0;
        for (Py_ssize_t i = 0; ok && i < n; i++) ok = is_alnum((unsigned char)p[i]);
        if (ok) return 1;
    }
    if ((grammar & G_TIME) && stamp14(p, n)) return 1;
    return 0;
}

/* decode_cp's value: numbers as int/float, 14-digit times as ISO 8601 +08:00, others as text */
static PyObject *decoded_value(int kind, const char *p, Py_ssize_t n) {
    int isfloat;
    if ((kind == K_NUM || kind == K_OTHER) && number(p, n, &isfloat)) {
        char buf[128];
        if (n < (Py_ssize_t)sizeof(buf)) {
            memcpy(buf, p, n);
            buf[n] = 0;
            if (isfloat) {
                double v = PyOS_string_to_double(buf, NULL, NULL);
                if (v == -1.0 && PyErr_Occurred()) return NULL;
                return PyFloat_FromDouble(v);
            }
            return PyLong_FromString(buf, NULL, 10);
        }
        PyObject *s = PyUnicode_DecodeASCII(p, n, NULL);
        if (!s) return NULL;
        PyObject *r = isfloat ? PyFloat_FromString(s) : PyLong_FromUnicodeObject(s, 10);
        Py_DECREF(s);
        return r;
    }
    if (kind == K_TIME && n == 14 && digits(p, 14)) {
        char b[25];
        memcpy(b, p, 4); b[4] = '-'; memcpy(b + 5, p + 4, 2); b[7] = '-'; memcpy(b + 8, p + 6, 2);
        b[10] = 'T'; memcpy(b + 11, p + 8, 2); b[13] = ':'; memcpy(b + 14, p + 10, 2); b[16] = ':';
        memcpy(b + 17, p + 12, 2); memcpy(b + 19, "+08:00", 6);
        return PyUnicode_DecodeASCII(b, 25, NULL);
    }
    return PyUnicode_DecodeASCII(p, n, NULL);
}

/* ---- the frame ---------------------------------------------------------------------------- */

typedef struct {
    const char *qn, *st, *cn, *pw, *mn, *body, *crc;
    Py_ssize_t pwlen, mnlen, bodylen, datalen;
    int flag;
    PyObject *edition;   /* borrowed */
} head_t;

/* 1: the frame and header are on the fast path; 0: not; -1: Python error. */
static int frame_head(const unsigned char *raw, Py_ssize_t len, head_t *h) {
    if (!CONFIGURED) return 0;
    if (len < 12 || raw[0] != '#' || raw[1] != '#' || !digits((const char *)raw + 2, 4)) return 0;
    if (raw[len - 2] != '\r' || raw[len - 1] != '\n') return 0;
    const char *data = (const char *)raw + 6;
    Py_ssize_t dlen = len - 12;
    int declared = num2((const char *)raw + 2) * 100 + num2((const char *)raw + 4);
    if (declared != dlen || dlen > MAX_LEN) return 0;
    const unsigned char *crc = raw + 6 + dlen;
    unsigned int got = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = crc[i];
        got <<= 4;
        if (c >= '0' && c <= '9') got |= c - '0';
        else if (c >= 'A' && c <= 'F') got |= c - 'A' + 10;
        else return 0;               /* lower case is a named quirk: the Python path */
    }
    unsigned int c = 0xFFFF;
    for (Py_ssize_t i = 0; i < dlen; i++) {
        unsigned char b = (unsigned char)data[i];
        if (b >= 0x80) return 0;
        c = T[(c >> 8) ^ b];
    }
    if (c != got) return 0;
    h->crc = (const char *)crc;
    h->datalen = dlen;
    /* QN=<17>;ST=dd;CN=dddd;PW=..;MN=..;Flag=d{1,3};CP=&& */
    const char *p = data, *end = data + dlen;
    if (end - p < 3 + 17 + 4 + 2 + 4 + 4 || memcmp(p, "QN=", 3) != 0) return 0;
    p += 3;
    if (!stamp14(p, 14) || !digits(p + 14, 3)) return 0;
    h->qn = p;
    p += 17;
    if (memcmp(p, ";ST=", 4) != 0 || !digits(p + 4, 2)) return 0;
    h->st = p + 4;
    p += 6;
    if (end - p < 8 + 4 || memcmp(p, ";CN=", 4) != 0 || !digits(p + 4, 4)) return 0;
    h->cn = p + 4;
    p += 8;
    if (end - p < 4 || memcmp(p, ";PW=", 4) != 0) return 0;
    p += 4;
    h->pw = p;
    while (p < end && *p != ';' && *p != '=' && *p != '&') p++;
    h->pwlen = p - h->pw;
    if (end - p < 4 || memcmp(p, ";MN=", 4) != 0) return 0;
    p += 4;
    h->mn = p;
    while (p < end && *p != ';' && *p != '=' && *p != '&') p++;
    h->mnlen = p - h->mn;
    if (h->mnlen == 0 || end - p < 6 || memcmp(p, ";Flag=", 6) != 0) return 0;
    p += 6;
    int flag = 0, fd = 0;
    while (p < end && *p >= '0' && *p <= '9' && fd < 4) { flag = flag * 10 + (*p - '0'); p++; fd++; }
    if (fd == 0 || fd > 3 || flag > 255 || (flag & 2)) return 0;
    h->flag = flag;
    if (end - p < 6 || memcmp(p, ";CP=&&", 6) != 0) return 0;
    p += 6;
    if (end - p < 2 || end[-1] != '&' || end[-2] != '&') return 0;
    h->body = p;
    h->bodylen = end - 2 - p;
    PyObject *ed = VERSIONS[flag >> 2];
    if (!ed) return 0;
    if (ed == S_2025 || PyUnicode_Compare(ed, S_2025) == 0) {
        Py_ssize_t sn;
        const char *s = PyUnicode_AsUTF8AndSize(SURFACE_ST, &sn);
        if (!s) return -1;
        if (sn == 2 && memcmp(s, h->st, 2) == 0) ed = S_2017;
    }
    h->edition = ed;
    return 1;
}

/* Is the command known (standard table or the edition's own)? 1 / 0 / -1. */
static int command_ok(PyObject *cn, PyObject *edition) {
    int r = PyDict_Contains(COMMANDS, cn);
    if (r != 0) return r;
    PyObject *extra = PyDict_GetItemWithError(EDITION_COMMANDS, edition);
    if (!extra) return PyErr_Occurred() ? -1 : 0;
    return PySequence_Contains(extra, cn);
}

/* Walk the CP items. cp: literal dict (scan) or NULL; out: decoded dict (decode) or NULL.
 * 1: all items on the fast path; 0: not; -1: error. *has_dt: DataTime seen. */
static int walk_items(const char *body, Py_ssize_t blen, PyObject *cp, PyObject *out, int *has_dt) {
    keyent tmp;
    const char *p = body, *end = body + blen;
    PyObject *last_factor = NULL, *group = NULL;   /* borrowed */
    PyObject *seen = NULL;                         /* decode: keys seen, to spot a repeat */
    *has_dt = 0;
    if (blen == 0) return 1;
    if (!cp) {
        seen = PySet_New(NULL);
        if (!seen) return -1;
    }
    int result = 1;
    while (p <= end) {
        const char *item = p;
        while (p < end && *p != ';' && *p != ',') p++;
        const char *iend = p;
        const char *eq = memchr(item, '=', iend - item);
        if (!eq || eq == item) { result = 0; break; }
        const char *val = eq + 1;
        Py_ssize_t vlen = iend - val;
        memset(&tmp, 0, sizeof(tmp));
        keyent *e = lookup(item, eq - item, &tmp);
        if (!e) { result = -1; break; }
        if (!e->grammar || !value_ok(e->grammar, val, vlen)) { release_tmp(e, &tmp); result = 0; break; }
        if (e->factor == NULL && PyUnicode_Compare(e->key, S_DATATIME) == 0) *has_dt = 1;
        if (cp) {
            int r = PyDict_Contains(cp, e->key);
            if (r != 0) { release_tmp(e, &tmp); result = r < 0 ? -1 : 0; break; }
            PyObject *v = PyUnicode_DecodeASCII(val, vlen, NULL);
            if (!v || PyDict_SetItem(cp, e->key, v) < 0) { Py_XDECREF(v); release_tmp(e, &tmp); result = -1; break; }
            Py_DECREF(v);
        }
        if (out) {
            int r = PySet_Contains(seen, e->key);
            if (r != 0 || PySet_Add(seen, e->key) < 0) { release_tmp(e, &tmp); result = r < 0 ? -1 : (r ? 0 : -1); break; }
            PyObject *v = decoded_value(e->kind, val, vlen);
            if (!v) { release_tmp(e, &tmp); result = -1; break; }
            int rc;
            if (e->factor) {
                if (e->factor != last_factor) {
                    group = PyDict_GetItemWithError(out, e->factor);
                    if (!group) {
                        if (PyErr_Occurred()) { Py_DECREF(v); release_tmp(e, &tmp); result = -1; break; }
                        group = PyDict_New();
                        if (!group || PyDict_SetItem(out, e->factor, group) < 0) {
                            Py_XDECREF(group); Py_DECREF(v); release_tmp(e, &tmp); result = -1; break;
                        }
                        Py_DECREF(group);    /* out holds it */
                    } else if (!PyDict_CheckExact(group)) {
                        Py_DECREF(v); release_tmp(e, &tmp); result = 0; break;
                    }
                    last_factor = e->factor;
                }
                rc = PyDict_SetItem(group, e->name, v);
            } else {
                int has = PyDict_Contains(out, e->key);   /* a factor group of that name: Python */
                if (has != 0) { Py_DECREF(v); release_tmp(e, &tmp); result = has < 0 ? -1 : 0; break; }
                rc = PyDict_SetItem(out, e->key, v);
            }
            Py_DECREF(v);
            if (rc < 0) { release_tmp(e, &tmp); result = -1; break; }
        }
        release_tmp(e, &tmp);
        if (p == end) break;
        p++;                                  /* the separator */
        if (p == end) { result = 0; break; }  /* a trailing separator: the Python path */
    }
    Py_XDECREF(seen);
    return result;
}

static PyObject *str(const char *p, Py_ssize_t n) { return PyUnicode_DecodeASCII(p, n, NULL); }

/* scan(frame) -> (st, cn, pw, mn, qn, flag, None, None, cp, edition, False, False, (), data_len, crc) */
static PyObject *hj_scan(PyObject *self, PyObject *arg) {
    if (!PyBytes_Check(arg)) Py_RETURN_NONE;
    head_t h;
    int r = frame_head((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg), &h);
    if (r <= 0) { if (r < 0) return NULL; Py_RETURN_NONE; }
    PyObject *cn = str(h.cn, 4), *cp = NULL, *out = NULL;
    if (!cn) return NULL;
    r = command_ok(cn, h.edition);
    if (r <= 0) { Py_DECREF(cn); if (r < 0) return NULL; Py_RETURN_NONE; }
    cp = PyDict_New();
    if (!cp) { Py_DECREF(cn); return NULL; }
    int has_dt;
    r = walk_items(h.body, h.bodylen, cp, NULL, &has_dt);
    if (r == 1 && !has_dt) {
        r = PyDict_Contains(UPLOADS, cn);
        r = r < 0 ? -1 : !r;
    }
    if (r <= 0) { Py_DECREF(cn); Py_DECREF(cp); if (r < 0) return NULL; Py_RETURN_NONE; }
    out = Py_BuildValue("(NNNNNiOONOOOOnN)", str(h.st, 2), cn, str(h.pw, h.pwlen), str(h.mn, h.mnlen),
                        str(h.qn, 17), h.flag, Py_None, Py_None, cp, h.edition, Py_False, Py_False,
                        EMPTY_TUPLE, h.datalen, str(h.crc, 4));
    return out;
}

/* decode(frame) -> {"qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp": decoded, "edition"} */
static PyObject *hj_decode(PyObject *self, PyObject *arg) {
    if (!PyBytes_Check(arg)) Py_RETURN_NONE;
    head_t h;
    int r = frame_head((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg), &h);
    if (r <= 0) { if (r < 0) return NULL; Py_RETURN_NONE; }
    PyObject *cn = str(h.cn, 4);
    if (!cn) return NULL;
    r = command_ok(cn, h.edition);
    if (r <= 0) { Py_DECREF(cn); if (r < 0) return NULL; Py_RETURN_NONE; }
    PyObject *cp = PyDict_New();
    if (!cp) { Py_DECREF(cn); return NULL; }
    int has_dt;
    r = walk_items(h.body, h.bodylen, NULL, cp, &has_dt);
    if (r == 1 && !has_dt) {
        r = PyDict_Contains(UPLOADS, cn);
        r = r < 0 ? -1 : !r;
    }
    if (r <= 0) { Py_DECREF(cn); Py_DECREF(cp); if (r < 0) return NULL; Py_RETURN_NONE; }
    PyObject *d = PyDict_New();
    PyObject *flag = PyLong_FromLong(h.flag);
    PyObject *qn = str(h.qn, 17), *st = str(h.st, 2), *pw = str(h.pw, h.pwlen), *mn = str(h.mn, h.mnlen);
    int bad = !d || !flag || !qn || !st || !pw || !mn
              || PyDict_SetItem(d, S_QN, qn) < 0 || PyDict_SetItem(d, S_ST, st) < 0
              || PyDict_SetItem(d, S_CN, cn) < 0 || PyDict_SetItem(d, S_PW, pw) < 0
              || PyDict_SetItem(d, S_MN, mn) < 0 || PyDict_SetItem(d, S_FLAG, flag) < 0
              || PyDict_SetItem(d, S_PNUM, Py_None) < 0 || PyDict_SetItem(d, S_PNO, Py_None) < 0
              || PyDict_SetItem(d, S_CP, cp) < 0 || PyDict_SetItem(d, S_EDITION, h.edition) < 0;
    Py_XDECREF(flag); Py_XDECREF(qn); Py_XDECREF(st); Py_XDECREF(pw); Py_XDECREF(mn);
    Py_DECREF(cn); Py_DECREF(cp);
    if (bad) { Py_XDECREF(d); return NULL; }
    return d;
}

static int fill_names(names_t *t, PyObject *seq) {
    PyObject *it = PyObject_GetIter(seq), *o;
    if (!it) return -1;
    t->n = 0;
    while ((o = PyIter_Next(it))) {
        Py_ssize_t n;
        const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &n) : NULL;
        if (!s || n >= NAMELEN || t->n >= MAXNAMES) {
            Py_DECREF(o); Py_DECREF(it);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "key name too long or too many names");
            return -1;
        }
        memcpy(t->s[t->n], s, n);
        t->len[t->n] = (unsigned char)n;
        t->n++;
        Py_DECREF(o);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *hj_configure(PyObject *self, PyObject *args) {
    PyObject *numeric, *times, *strings, *flags, *versions, *commands, *edcmds, *uploads, *surface;
    Py_ssize_t maxlen;
    if (!PyArg_ParseTuple(args, "OOOUO!O!O!O!Un", &numeric, &times, &strings, &flags, &PyDict_Type, &versions,
                          &PyDict_Type, &commands, &PyDict_Type, &edcmds, &PyDict_Type, &uploads, &surface,
                          &maxlen))
        return NULL;
    CONFIGURED = 0;
    cache_clear();
    if (fill_names(&NUMERIC, numeric) < 0 || fill_names(&TIMES, times) < 0 || fill_names(&STRINGS, strings) < 0)
        return NULL;
    memset(FLAGCH, 0, sizeof(FLAGCH));
    Py_ssize_t nf;
    const char *f = PyUnicode_AsUTF8AndSize(flags, &nf);
    if (!f) return NULL;
    for (Py_ssize_t i = 0; i < nf; i++) if (is_alnum((unsigned char)f[i])) FLAGCH[(unsigned char)f[i]] = 1;
    for (int i = 0; i < 64; i++) Py_CLEAR(VERSIONS[i]);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(versions, &pos, &k, &v)) {
        long n = PyLong_AsLong(k);
        if (n == -1 && PyErr_Occurred()) return NULL;
        if (n >= 0 && n < 64 && PyUnicode_Check(v)) { Py_INCREF(v); VERSIONS[n] = v; }
    }
    Py_INCREF(commands); Py_XSETREF(COMMANDS, commands);
    Py_INCREF(edcmds); Py_XSETREF(EDITION_COMMANDS, edcmds);
    Py_INCREF(uploads); Py_XSETREF(UPLOADS, uploads);
    Py_INCREF(surface); Py_XSETREF(SURFACE_ST, surface);
    MAX_LEN = maxlen;
    CONFIGURED = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", hj_configure, METH_VARARGS, "Set the protocol rules the fast path checks against."},
    {"scan", hj_scan, METH_O, "Packet constructor arguments of a well-formed frame, or None."},
    {"decode", hj_decode, METH_O, "The JSON-ready dict of a well-formed frame, or None."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", NULL, -1, methods};

#define INTERN(var, text) if (!(var = PyUnicode_InternFromString(text))) return NULL

PyMODINIT_FUNC PyInit__scan(void) {
    for (int i = 0; i < 256; i++) {
        unsigned int c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
        T[i] = (unsigned short)c;
    }
    INTERN(S_QN, "qn"); INTERN(S_ST, "st"); INTERN(S_CN, "cn"); INTERN(S_PW, "pw"); INTERN(S_MN, "mn");
    INTERN(S_FLAG, "flag"); INTERN(S_PNUM, "pnum"); INTERN(S_PNO, "pno"); INTERN(S_CP, "cp");
    INTERN(S_EDITION, "edition"); INTERN(S_DATATIME, "DataTime"); INTERN(S_2017, "2017"); INTERN(S_2025, "2025");
    if (!(EMPTY_TUPLE = PyTuple_New(0))) return NULL;
    return PyModule_Create(&module);
}
