/* An interrupt line: a device raises or lowers it; the machine decides where it goes. */
#ifndef KITE_CORE_IRQ_H
#define KITE_CORE_IRQ_H

struct irq_line {
    void (*set)(void *opaque, int line, int level);
    void *opaque;
    int line;
};

static inline void irq_set(const struct irq_line *irq, int level)
{
    if (irq->set)
        irq->set(irq->opaque, irq->line, level);
}

#endif
