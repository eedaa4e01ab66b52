#include "core/link_control.h"

#include <string.h>

static struct link_control *links;

void link_control_add(struct link_control *l)
{
    l->next = links;
    links = l;
}

void link_control_remove(struct link_control *l)
{
    for (struct link_control **p = &links; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            l->next = NULL;
            return;
        }
    }
}

struct link_control *link_control_find(const char *name)
{
    for (struct link_control *l = links; l && name; l = l->next)
        if (!strcmp(l->name, name))
            return l;
    return NULL;
}

bool link_control_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 31)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}
