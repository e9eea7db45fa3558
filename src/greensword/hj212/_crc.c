/* HJ 212 CRC16 and CRC-16/MODBUS in C (optional speed-up of greensword.hj212.crc).
 * HJ 212: crc = 0xFFFF; per byte crc = T[(crc >> 8) ^ b], T the reflected 0xA001 table.
 * MODBUS:  crc = 0xFFFF; per byte crc = (crc >> 8) ^ T[(crc ^ b) & 0xFF].
 * Built at install time by setup.py (optional: without a C compiler the pure-Python code runs). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static unsigned short T[256];

static PyObject *hj_crc16(PyObject *self, PyObject *arg) {
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = (const unsigned char *)b.buf;
    unsigned int c = 0xFFFF;
    for (Py_ssize_t i = 0; i < b.len; i++) c = T[(c >> 8) ^ p[i]];
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(c);
}

static PyObject *hj_modbus(PyObject *self, PyObject *arg) {
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *p = (const unsigned char *)b.buf;
    unsigned int c = 0xFFFF;
    for (Py_ssize_t i = 0; i < b.len; i++) c = (c >> 8) ^ T[(c ^ p[i]) & 0xFF];
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef methods[] = {
    {"crc16", hj_crc16, METH_O, "HJ 212 CRC16 of a bytes-like object."},
    {"modbus", hj_modbus, METH_O, "CRC-16/MODBUS of a bytes-like object."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_crc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__crc(void) {
    for (int i = 0; i < 256; i++) {
        unsigned int c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xA001 : c >> 1;
        T[i] = (unsigned short)c;
    }
    return PyModule_Create(&module);
}
