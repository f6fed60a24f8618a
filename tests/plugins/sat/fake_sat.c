/* A fake SAT library: the functions of the ER SAT that the sat plugin calls, answering in the
 * pipe-separated format of a real device, so satcfe's own ctypes calls and parsing run whole.
 *
 * Its behaviour comes from the folder named by FAKE_SAT_DIR, read at every call:
 *   mode          "authorise" (default), "reject|EEEEE|mensagem|cod|mensagemSEFAZ",
 *                 "hang|SECONDS" (the sale is made, its answer comes SECONDS late),
 *                 "hang-cancel|SECONDS" (the same for CancelarUltimaVenda)
 *   age           seconds to take off the authorisation's timeStamp (an old sale)
 * and it writes there: sales.log (one line per EnviarDadosVenda that made a sale),
 * calls.log (every call), last_sale.xml, last_cancel.xml, session-N (each answer by session,
 * for ConsultarNumeroSessao), last_key.
 * Build: gcc -shared -fPIC -o libfakesat.so fake_sat.c
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *dir(void) {
    const char *d = getenv("FAKE_SAT_DIR");
    return d ? d : "/tmp";
}

static char *read_file(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    size_t got = fread(buf, 1, n, f);
    buf[got] = 0;
    fclose(f);
    while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) buf[--got] = 0;
    return buf;
}

static void write_file(const char *name, const char *text, const char *how) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir(), name);
    FILE *f = fopen(path, how);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void log_call(const char *what, int session) {
    char line[128];
    snprintf(line, sizeof line, "%s|%d\n", what, session);
    write_file("calls.log", line, "a");
}

/* The text of the first <tag>...</tag> in [from, to), or "" (into out). */
static const char *text_of(const char *from, const char *to, const char *tag, char *out,
                           size_t size) {
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = 0;
    const char *a = strstr(from, open);
    if (!a || (to && a >= to)) return NULL;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return NULL;
    size_t n = (size_t)(b - a) < size - 1 ? (size_t)(b - a) : size - 1;
    memcpy(out, a, n);
    out[n] = 0;
    return b;
}

static long long cents(const char *text) { return llround(strtod(text, NULL) * 100.0); }

/* What the device adds up: each item's qCom x vUnCom (to the cent) less vDesc plus vOutro, then
 * the subtotal's discount or surcharge. */
static long long sale_total(const char *xml) {
    long long total = 0;
    char q[64], u[64], v[64];
    const char *det = xml;
    while ((det = strstr(det, "<det ")) != NULL) {
        const char *end = strstr(det, "</det>");
        text_of(det, end, "qCom", q, sizeof q);
        text_of(det, end, "vUnCom", u, sizeof u);
        total += llround(strtod(q, NULL) * strtod(u, NULL) * 100.0);
        if (text_of(det, end, "vDesc", v, sizeof v)) total -= cents(v);
        if (text_of(det, end, "vOutro", v, sizeof v)) total += cents(v);
        det = end ? end : det + 5;
    }
    if (text_of(xml, NULL, "vDescSubtot", v, sizeof v)) total -= cents(v);
    if (text_of(xml, NULL, "vAcresSubtot", v, sizeof v)) total += cents(v);
    return total;
}

static char *base64(const char *data) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(data), i, o = 0;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8 |
                     (unsigned char)data[i + 2];
        out[o++] = t[v >> 18]; out[o++] = t[(v >> 12) & 63];
        out[o++] = t[(v >> 6) & 63]; out[o++] = t[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned char)data[i] << 16 | (i + 1 < n ? (unsigned char)data[i + 1] << 8 : 0);
        out[o++] = t[v >> 18]; out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return out;
}

/* An access key: cUF AAMM CNPJ 59 nserieSAT nCFe cNF and its mod-11 check digit. */
static void make_key(char *key, const char *cnpj, const char *serial, int number,
                     const struct tm *when) {
    char body[64];
    snprintf(body, sizeof body, "23%02d%02d%-14.14s59%s%06d%06d", when->tm_year % 100,
             when->tm_mon + 1, cnpj, serial, number % 1000000, rand() % 1000000);
    int sum = 0, weight = 2;
    for (int i = (int)strlen(body) - 1; i >= 0; i--) {
        sum += (body[i] - '0') * weight;
        weight = weight == 9 ? 2 : weight + 1;
    }
    int dv = 11 - sum % 11;
    snprintf(key, 64, "%.43s%d", body, dv >= 10 ? 0 : dv);
}

static int next_number(void) {
    char *n = read_file("counter");
    int number = (n ? atoi(n) : 0) + 1;
    free(n);
    char text[32];
    snprintf(text, sizeof text, "%d", number);
    write_file("counter", text, "w");
    return number;
}

/* The device's clock: Brasilia time (UTC-3), less the control file's age. */
static struct tm device_now(void) {
    char *age = read_file("age");
    time_t now = time(NULL) - 3 * 3600 - (age ? atol(age) : 0);
    free(age);
    struct tm when;
    gmtime_r(&now, &when);
    return when;
}

static void keep(int session, const char *answer) {
    char name[64];
    snprintf(name, sizeof name, "session-%d", session);
    write_file(name, answer, "w");
}

static char *authorised(int session, const char *code, const char *message, const char *input,
                        int cancel) {
    char cnpj[32], cpf[32], key[64], stamp[32], serial[] = "900004019";
    struct tm when = device_now();
    text_of(strstr(input, "<emit>") ? strstr(input, "<emit>") : input, NULL, "CNPJ", cnpj,
            sizeof cnpj);
    if (cancel) {  /* the cancelled sale's issuer is in its key */
        char *last = read_file("last_key");
        if (last) { snprintf(cnpj, sizeof cnpj, "%.14s", last + 6); free(last); }
    }
    text_of(input, NULL, "CPF", cpf, sizeof cpf);
    int number = next_number();
    make_key(key, cnpj[0] ? cnpj : "00000000000000", serial, number, &when);
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &when);
    long long total = cancel ? 0 : sale_total(input);
    char *cached = cancel ? read_file("last_total") : NULL;
    if (cached) { total = atoll(cached); free(cached); }
    size_t size = strlen(input) + 4096;
    char *xml = malloc(size);
    int o = snprintf(xml, size,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><%s><infCFe Id=\"CFe%s\" versao=\"0.08\" "
        "versaoDadosEnt=\"0.07\" versaoSB=\"010000\"><ide><cUF>23</cUF><cNF>%.6s</cNF>"
        "<mod>59</mod><nserieSAT>%s</nserieSAT><nCFe>%06d</nCFe><dEmi>%.8s</dEmi>"
        "<hEmi>%.6s</hEmi><cDV>%c</cDV><tpAmb>2</tpAmb><assinaturaQRCODE>FAKEQR%d"
        "</assinaturaQRCODE></ide>", cancel ? "CFeCanc" : "CFe", key, key + 37, serial,
        number, stamp, stamp + 8, key[43], number);
    const char *emit = strstr(input, "<emit>"), *tot = strstr(input, "<total");
    if (emit && tot && tot > emit) o += snprintf(xml + o, size - o, "%.*s", (int)(tot - emit), emit);
    o += snprintf(xml + o, size - o, "<total><vCFe>%lld.%02lld</vCFe></total>", total / 100,
                  total % 100);
    const char *pgto = strstr(input, "<pgto>"), *end = strstr(input, "</infCFe>");
    if (pgto && end && end > pgto) o += snprintf(xml + o, size - o, "%.*s", (int)(end - pgto), pgto);
    snprintf(xml + o, size - o, "</infCFe></%s>", cancel ? "CFeCanc" : "CFe");
    char *b64 = base64(xml);
    size_t n = strlen(b64) + 1024;
    char *answer = malloc(n);
    snprintf(answer, n, "%d|%s|0000|%s|||%s|%s|CFe%s|%lld.%02lld|%s|FAKEQR%d", session, code,
             message, b64, stamp, key, total / 100, total % 100, cpf, number);
    if (!cancel) {
        char text[64];
        write_file("last_key", key, "w");
        snprintf(text, sizeof text, "%lld", total);
        write_file("last_total", text, "w");
    }
    free(xml);
    free(b64);
    return answer;
}

/* The mode's fields: mode[0] the action, mode[1..] its arguments. */
static int mode_fields(char *mode, char **fields, int max) {
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(mode, "|", &save); p && n < max; p = strtok_r(NULL, "|", &save))
        fields[n++] = p;
    return n;
}

const char *EnviarDadosVenda(int session, const char *code, const char *data) {
    log_call("EnviarDadosVenda", session);
    write_file("last_sale.xml", data, "w");
    char *mode = read_file("mode");
    char *f[6] = {"authorise"};
    int n = mode ? mode_fields(mode, f, 6) : 1;
    char *answer;
    if (strcmp(f[0], "reject") == 0 && n >= 5) {
        size_t size = strlen(f[2]) + strlen(f[4]) + 64;
        answer = malloc(size);
        snprintf(answer, size, "%d|%s|0000|%s|%s|%s", session, f[1], f[2], f[3], f[4]);
    } else {
        answer = authorised(session, "06000", "Emitido com sucesso + conteudo notas.", data, 0);
        char line[128];
        snprintf(line, sizeof line, "%d\n", session);
        write_file("sales.log", line, "a");
    }
    keep(session, answer);
    if (strcmp(f[0], "hang") == 0 && n >= 2) sleep((unsigned)atoi(f[1]));
    free(mode);
    return answer;
}

const char *CancelarUltimaVenda(int session, const char *code, const char *key,
                                const char *data) {
    log_call("CancelarUltimaVenda", session);
    write_file("last_cancel.xml", data, "w");
    char *last = read_file("last_key");
    char *answer;
    if (!last || strcmp(key + 3, last) != 0) {
        answer = malloc(256);
        snprintf(answer, 256, "%d|07007|0000|Cupom a ser cancelado nao e o ultimo||", session);
    } else {
        answer = authorised(session, "07000",
                            "Cupom cancelado com sucesso + conteudo CF-e-SAT cancelado.", data, 1);
    }
    free(last);
    keep(session, answer);
    char *mode = read_file("mode");
    char *f[3] = {"authorise"};
    int n = mode ? mode_fields(mode, f, 3) : 1;
    if (strcmp(f[0], "hang-cancel") == 0 && n >= 2) sleep((unsigned)atoi(f[1]));
    free(mode);
    return answer;
}

const char *ConsultarNumeroSessao(int session, const char *code, int asked) {
    log_call("ConsultarNumeroSessao", session);
    char name[64];
    snprintf(name, sizeof name, "session-%d", asked);
    char *kept = read_file(name);
    if (kept) return kept;
    char *answer = malloc(128);
    snprintf(answer, 128, "%d|11003|Sessao nao existe||", session);
    return answer;
}

const char *ConsultarSAT(int session) {
    log_call("ConsultarSAT", session);
    char *answer = malloc(128);
    snprintf(answer, 128, "%d|08000|SAT em operacao||", session);
    return answer;
}
