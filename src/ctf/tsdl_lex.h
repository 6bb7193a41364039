/* TSDL lexer (internal). */
#ifndef TS_CTF_TSDL_LEX_H
#define TS_CTF_TSDL_LEX_H

#include <stddef.h>
#include <stdint.h>

typedef enum tsdl_tok {
    TK_EOF = 0,
    TK_IDENT,
    TK_INT,
    TK_STRING,
    TK_LBRACE,
    TK_RBRACE,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_SEMI,
    TK_COMMA,
    TK_COLON,
    TK_ASSIGN,      /* = */
    TK_TYPE_ASSIGN, /* := */
    TK_LT,
    TK_GT,
    TK_DOT,
    TK_ELLIPSIS,
    TK_ARROW,
    TK_MINUS,
    TK_PLUS,
    TK_STAR,
    TK_ERROR,
} tsdl_tok;

typedef struct tsdl_token {
    tsdl_tok kind;
    const char *start; /* into the source text */
    size_t len;
    int line;
    uint64_t ival; /* TK_INT */
    char *sval;    /* TK_STRING (unescaped, malloc'd by the lexer; owned by the lexer) */
} tsdl_token;

typedef struct tsdl_lexer {
    const char *src;
    size_t len;
    size_t pos;
    int line;
    char *strbuf; /* last string token's value */
    const char *error;
} tsdl_lexer;

void tsdl_lex_init(tsdl_lexer *lx, const char *src, size_t len);
void tsdl_lex_free(tsdl_lexer *lx);
/* Read the next token.  Returns TK_ERROR with lx->error set on a lexical error. */
tsdl_tok tsdl_lex_next(tsdl_lexer *lx, tsdl_token *t);
const char *tsdl_tok_name(tsdl_tok k);

#endif
