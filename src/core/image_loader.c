#include "core/image_loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

/* Opens a regular file of at most max_size bytes: the descriptor, or a negative errno. */
static int open_sized(const char *path, uint64_t max_size, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        log_error("loader", "cannot open %s: %s", path, strerror(err));
        return -err;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_error("loader", "%s is not a regular file", path);
        close(fd);
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > max_size) {
        log_error("loader", "%s is too large (%lld bytes, at most %llu fit)", path,
                  (long long)st.st_size, (unsigned long long)max_size);
        close(fd);
        return -EFBIG;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* Reads exactly `size` bytes; a file that shrank since fstat is an error. */
static int read_all(int fd, const char *path, uint8_t *buf, uint64_t size)
{
    uint64_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, buf + done, (size_t)(size - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("loader", "cannot read %s", path);
            return -EIO;
        }
        done += (uint64_t)n;
    }
    return 0;
}

int image_file_size(const char *path, uint64_t max_size, uint64_t *size)
{
    int fd = open_sized(path, max_size, size);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

int image_read_file(const char *path, uint64_t max_size, uint8_t **data, uint64_t *size)
{
    uint64_t len;
    int fd = open_sized(path, max_size, &len);
    if (fd < 0)
        return fd;
    /* Anonymous and filled by read(): a file mapping would fault if the file shrank. */
    uint8_t *buf = mmap(NULL, len ? (size_t)len : 1, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ret = buf == MAP_FAILED ? -ENOMEM : read_all(fd, path, buf, len);
    close(fd);
    if (ret < 0) {
        if (buf != MAP_FAILED)
            image_free_file(buf, len);
        return ret;
    }
    *data = buf;
    *size = len;
    return 0;
}

void image_free_file(uint8_t *data, uint64_t size)
{
    if (data)
        munmap(data, size ? (size_t)size : 1);
}

static bool range_in_ram(const struct guest_ram_view *ram, uint64_t addr, uint64_t len)
{
    return addr >= ram->base && addr - ram->base <= ram->size &&
           len <= ram->size - (addr - ram->base);
}

int image_load_raw_at_most(const struct guest_ram_view *ram, const char *path, uint64_t addr,
                           uint64_t max_len, uint64_t *size_out)
{
    if (addr < ram->base || addr - ram->base >= ram->size) {
        log_error("loader", "no RAM at 0x%llx for %s", (unsigned long long)addr, path);
        return -EINVAL;
    }
    uint64_t room = ram->size - (addr - ram->base);
    uint64_t size;
    /* Straight into guest RAM: no copy of the image stays resident beside it. */
    int fd = open_sized(path, max_len < room ? max_len : room, &size);
    if (fd < 0)
        return fd;
    int ret = read_all(fd, path, ram->host + (addr - ram->base), size);
    close(fd);
    if (ret < 0)
        return ret;
    if (size_out)
        *size_out = size;
    return 0;
}

int image_load_raw(const struct guest_ram_view *ram, const char *path, uint64_t addr,
                   uint64_t *size_out)
{
    return image_load_raw_at_most(ram, path, addr, UINT64_MAX, size_out);
}

bool image_is_elf(const char *path)
{
    unsigned char magic[SELFMAG];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool elf = fread(magic, 1, SELFMAG, f) == SELFMAG && memcmp(magic, ELFMAG, SELFMAG) == 0;
    fclose(f);
    return elf;
}

/* Finds `tohost`/`fromhost` in the symbol table, for the HTIF test convention. */
static void find_htif_symbols(const uint8_t *data, uint64_t size, const Elf64_Ehdr *eh,
                              struct elf_info *info)
{
    if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > size || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff)
        return;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(data + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            strtab->sh_offset > size || strtab->sh_size > size - strtab->sh_offset)
            return;
        const Elf64_Sym *syms = (const Elf64_Sym *)(data + sh[i].sh_offset);
        const char *names = (const char *)(data + strtab->sh_offset);
        uint64_t count = sh[i].sh_size / sizeof(Elf64_Sym);
        for (uint64_t s = 0; s < count; s++) {
            if (syms[s].st_name >= strtab->sh_size)
                continue;
            const char *name = names + syms[s].st_name;
            size_t maxlen = strtab->sh_size - syms[s].st_name;
            if (strnlen(name, maxlen) == maxlen)
                continue;
            if (strcmp(name, "tohost") == 0)
                info->tohost = syms[s].st_value;
            else if (strcmp(name, "fromhost") == 0)
                info->fromhost = syms[s].st_value;
        }
    }
}

int image_load_elf(const struct guest_ram_view *ram, const char *path, unsigned machine,
                   struct elf_info *info)
{
    uint8_t *data;
    uint64_t size;
    /* An ELF may carry symbols and debug info beyond what it loads: allow some slack. */
    int ret = image_read_file(path, ram->size + (256ULL << 20), &data, &size);
    if (ret < 0)
        return ret;
    memset(info, 0, sizeof(*info));
    info->lowest = UINT64_MAX;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;
    if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != machine ||
        (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)) {
        log_error("loader", "%s is not a 64-bit little-endian %s executable", path,
                  machine == EM_RISCV ? "RISC-V" : "ELF");
        ret = -ENOEXEC;
        goto out;
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
        (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff) {
        log_error("loader", "%s: truncated or corrupt program headers", path);
        ret = -ENOEXEC;
        goto out;
    }
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(data + eh->e_phoff);
    int loaded = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > size ||
            ph[i].p_filesz > size - ph[i].p_offset) {
            log_error("loader", "%s: segment %u lies outside the file", path, i);
            ret = -ENOEXEC;
            goto out;
        }
        if (!range_in_ram(ram, ph[i].p_paddr, ph[i].p_memsz)) {
            log_error("loader", "%s: segment %u (0x%llx, %llu bytes) does not fit in RAM", path,
                      i, (unsigned long long)ph[i].p_paddr, (unsigned long long)ph[i].p_memsz);
            ret = -EFBIG;
            goto out;
        }
        uint8_t *dst = ram->host + (ph[i].p_paddr - ram->base);
        memcpy(dst, data + ph[i].p_offset, ph[i].p_filesz);
        memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
        if (ph[i].p_paddr < info->lowest)
            info->lowest = ph[i].p_paddr;
        if (ph[i].p_paddr + ph[i].p_memsz > info->highest)
            info->highest = ph[i].p_paddr + ph[i].p_memsz;
        loaded++;
    }
    if (!loaded) {
        log_error("loader", "%s has nothing to load", path);
        ret = -ENOEXEC;
        goto out;
    }
    info->entry = eh->e_entry;
    find_htif_symbols(data, size, eh, info);
out:
    image_free_file(data, size);
    return ret;
}
