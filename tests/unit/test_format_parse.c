/* tests/unit/test_format_parse.c — the spec grammar: every registered name and a table of
 * good specs parse; a table of bad specs is rejected with LB_ERR_SPEC and a message that names
 * the offending key or value. */
#include <string.h>

#include "check.h"
#include "lowbit/format.h"

int main(void)
{
    int n;
    const lb_registry_entry *reg = lb_registry(&n);
    CHECK(n > 0, "empty registry");
    for (int i = 0; i < n; i++) {
        lb_format f;
        lb_error err;
        CHECK(lb_format_parse(&f, reg[i].name, &err) == LB_OK, "registry entry %s: %s", reg[i].name,
              err.msg);
        CHECK(strcmp(f.name, reg[i].name) == 0, "name of %s is %s", reg[i].name, f.name);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(reg[i].name, reg[j].name) != 0, "duplicate registry name %s", reg[i].name);
    }
    static const char *good[] = {"fp:e=5,m=2",
                                 "fp:e=5,m=2,sat",
                                 "fp:e=4,m=3,specials=fn",
                                 "fp:e=8,m=23",
                                 "fp:m=7,e=8,nosub,round=sr",
                                 "fx:wl=8,fl=6",
                                 "fx:wl=16,fl=12,symmetric",
                                 "int:bits=8,scale=channel",
                                 "lns:bits=8,frac=3,scale=tensor",
                                 "lns:bits=13,frac=5,scale=none",
                                 "lns:bits=12,frac=5,zero=code,underflow=sat",
                                 "bf16"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        lb_format f;
        lb_error err;
        CHECK(lb_format_parse(&f, good[i], &err) == LB_OK, "good spec '%s' rejected: %s", good[i],
              err.msg);
    }
    /* bad spec -> a word the message must contain */
    static const char *bad[][2] = {
        {"", "empty"},
        {"bf17", "bf17"},
        {"nosuchfamily:x=1", "nosuchfamily"},
        {"fp:e=9,m=2", "'e'"},
        {"fp:e=5", "'m'"},
        {"fp:m=2", "'e'"},
        {"fp:e=5,m=2,bogus=1", "bogus"},
        {"fp:e=5,m=2,wat", "wat"},
        {"fp:e=5,m=2,", "empty item"},
        {"fp:e=5,m=2,e=4", "twice"},
        {"fp:e=abc,m=2", "abc"},
        {"fp:e=5,m=2,round=up", "up"},
        {"fp:e=5,m=2,specials=maybe", "maybe"},
        {"fp:e=4,m=3,specials=none,overflow=inf", "overflow=inf"},
        {"fp:e=5,m=0", "m=0"},
        {"fp:e=5,m=2,bias=200", "bias"},
        {"fp:e=5,m=2,sub,nosub", "conflict"},
        {"fx:wl=0,fl=0", "'wl'"},
        {"fx:wl=8", "'fl'"},
        {"int:bits=8,scale=row", "row"},
        {"lns:bits=8,frac=9", "frac=9"},
        {"lns:bits=8,frac=6", "frac=6"},
        {"lns:bits=16,frac=1", "exceeds"},
        {"fp:", "no parameters"},
        {":e=5", "no family"},
        {"fp:e=5,m= 2", "white space"},
        {"fp:=5,m=2", "no key"},
        {"fp:e=,m=2", "empty value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_format f;
        lb_error err = {{0}};
        lb_status st = lb_format_parse(&f, bad[i][0], &err);
        CHECK(st == LB_ERR_SPEC, "bad spec '%s' gave status %d", bad[i][0], (int)st);
        CHECK(strstr(err.msg, bad[i][1]) != NULL, "bad spec '%s': message '%s' lacks '%s'",
              bad[i][0], err.msg, bad[i][1]);
    }
    return lb_check_summary("test_format_parse");
}
