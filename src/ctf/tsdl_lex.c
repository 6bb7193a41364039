/* TSDL lexer: identifiers, integer literals (decimal, hex, octal), strings,
 * punctuation; C and C++ comments are skipped. */
#include "ctf/tsdl_lex.h"

#include <stdlib.h>
#include <string.h>

void tsdl_lex_init(tsdl_lexer *lx, const char *src, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->len = len;
    lx->line = 1;
}

void tsdl_lex_free(tsdl_lexer *lx)
{
    free(lx->strbuf);
    lx->strbuf = NULL;
}

const char *tsdl_tok_name(tsdl_tok k)
{
    switch (k) {
    case TK_EOF:
        return "end of metadata";
    case TK_IDENT:
        return "identifier";
    case TK_INT:
        return "integer";
    case TK_STRING:
        return "string";
    case TK_LBRACE:
        return "'{'";
    case TK_RBRACE:
        return "'}'";
    case TK_LPAREN:
        return "'('";
    case TK_RPAREN:
        return "')'";
    case TK_LBRACKET:
        return "'['";
    case TK_RBRACKET:
        return "']'";
    case TK_SEMI:
        return "';'";
    case TK_COMMA:
        return "','";
    case TK_COLON:
        return "':'";
    case TK_ASSIGN:
        return "'='";
    case TK_TYPE_ASSIGN:
        return "':='";
    case TK_LT:
        return "'<'";
    case TK_GT:
        return "'>'";
    case TK_DOT:
        return "'.'";
    case TK_ELLIPSIS:
        return "'...'";
    case TK_ARROW:
        return "'->'";
    case TK_MINUS:
        return "'-'";
    case TK_PLUS:
        return "'+'";
    case TK_STAR:
        return "'*'";
    case TK_ERROR:
        return "invalid token";
    }
    return "?";
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void skip_space(tsdl_lexer *lx)
{
    for (;;) {
        while (lx->pos < lx->len) {
            char c = lx->src[lx->pos];
            if (c == '\n')
                lx->line++;
            else if (!(c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\0'))
                break;
            lx->pos++;
        }
        if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '/' && lx->src[lx->pos + 1] == '*') {
            lx->pos += 2;
            while (lx->pos + 1 < lx->len &&
                   !(lx->src[lx->pos] == '*' && lx->src[lx->pos + 1] == '/')) {
                if (lx->src[lx->pos] == '\n') lx->line++;
                lx->pos++;
            }
            lx->pos = lx->pos + 2 <= lx->len ? lx->pos + 2 : lx->len;
            continue;
        }
        if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '/' && lx->src[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n') lx->pos++;
            continue;
        }
        return;
    }
}

static tsdl_tok lex_error(tsdl_lexer *lx, tsdl_token *t, const char *msg)
{
    lx->error = msg;
    t->kind = TK_ERROR;
    return TK_ERROR;
}

static tsdl_tok lex_number(tsdl_lexer *lx, tsdl_token *t)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    uint64_t v = 0;
    unsigned base = 10;
    if (s[p] == '0' && p + 1 < lx->len && (s[p + 1] == 'x' || s[p + 1] == 'X')) {
        base = 16;
        p += 2;
    } else if (s[p] == '0') {
        base = 8;
    }
    size_t digits = 0;
    for (; p < lx->len; p++) {
        char c = s[p];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (d >= base) {
            if (base == 8 && d < 10) return lex_error(lx, t, "bad digit in octal integer");
            break;
        }
        if (v > (UINT64_MAX - d) / base) return lex_error(lx, t, "integer literal too large");
        v = v * base + d;
        digits++;
    }
    if (base == 16 && digits == 0) return lex_error(lx, t, "hexadecimal literal without digits");
    while (p < lx->len && (s[p] == 'u' || s[p] == 'U' || s[p] == 'l' || s[p] == 'L')) p++;
    if (p < lx->len && is_ident_char(s[p])) return lex_error(lx, t, "bad character in integer");
    t->kind = TK_INT;
    t->ival = v;
    t->len = p - lx->pos;
    lx->pos = p;
    return TK_INT;
}

static tsdl_tok lex_string(tsdl_lexer *lx, tsdl_token *t)
{
    size_t p = lx->pos + 1;
    size_t cap = 32, n = 0;
    char *buf = malloc(cap);
    if (!buf) return lex_error(lx, t, "out of memory");
    for (;;) {
        if (p >= lx->len) {
            free(buf);
            return lex_error(lx, t, "unterminated string");
        }
        char c = lx->src[p++];
        if (c == '"') break;
        if (c == '\n') lx->line++;
        if (c == '\\') {
            if (p >= lx->len) {
                free(buf);
                return lex_error(lx, t, "unterminated string");
            }
            char e = lx->src[p++];
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '0':
                c = '\0';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'v':
                c = '\v';
                break;
            default:
                c = e;
                break;
            }
        }
        if (n + 2 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return lex_error(lx, t, "out of memory");
            }
            buf = nb;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    free(lx->strbuf);
    lx->strbuf = buf;
    t->kind = TK_STRING;
    t->sval = buf;
    t->len = p - lx->pos;
    lx->pos = p;
    return TK_STRING;
}

tsdl_tok tsdl_lex_next(tsdl_lexer *lx, tsdl_token *t)
{
    skip_space(lx);
    memset(t, 0, sizeof *t);
    t->line = lx->line;
    t->start = lx->src + lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        return TK_EOF;
    }
    char c = lx->src[lx->pos];
    if (is_ident_start(c)) {
        size_t p = lx->pos;
        while (p < lx->len && is_ident_char(lx->src[p])) p++;
        t->kind = TK_IDENT;
        t->len = p - lx->pos;
        lx->pos = p;
        return TK_IDENT;
    }
    if (c >= '0' && c <= '9') return lex_number(lx, t);
    if (c == '"') return lex_string(lx, t);
    if (c == '\'') {
        /* character literal: 'x' -> integer */
        if (lx->pos + 2 < lx->len && lx->src[lx->pos + 2] == '\'') {
            t->kind = TK_INT;
            t->ival = (unsigned char)lx->src[lx->pos + 1];
            t->len = 3;
            lx->pos += 3;
            return TK_INT;
        }
        return lex_error(lx, t, "bad character literal");
    }
    t->len = 1;
    tsdl_tok k;
    switch (c) {
    case '{':
        k = TK_LBRACE;
        break;
    case '}':
        k = TK_RBRACE;
        break;
    case '(':
        k = TK_LPAREN;
        break;
    case ')':
        k = TK_RPAREN;
        break;
    case '[':
        k = TK_LBRACKET;
        break;
    case ']':
        k = TK_RBRACKET;
        break;
    case ';':
        k = TK_SEMI;
        break;
    case ',':
        k = TK_COMMA;
        break;
    case '<':
        k = TK_LT;
        break;
    case '>':
        k = TK_GT;
        break;
    case '+':
        k = TK_PLUS;
        break;
    case '*':
        k = TK_STAR;
        break;
    case '=':
        k = TK_ASSIGN;
        break;
    case ':':
        if (lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '=') {
            k = TK_TYPE_ASSIGN;
            t->len = 2;
        } else {
            k = TK_COLON;
        }
        break;
    case '-':
        if (lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '>') {
            k = TK_ARROW;
            t->len = 2;
        } else {
            k = TK_MINUS;
        }
        break;
    case '.':
        if (lx->pos + 2 < lx->len && lx->src[lx->pos + 1] == '.' && lx->src[lx->pos + 2] == '.') {
            k = TK_ELLIPSIS;
            t->len = 3;
        } else {
            k = TK_DOT;
        }
        break;
    default:
        return lex_error(lx, t, "unexpected character");
    }
    lx->pos += t->len;
    t->kind = k;
    return k;
}
