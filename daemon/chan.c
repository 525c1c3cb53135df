/*
 * chan.c - the /dev/jfs channel: open, versioned handshake, one request per
 * read(), one reply per write().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jfsd.h"
#include "util/log.h"

struct dev_ctx {
	int fd;
};

static int dev_recv(void *ctx, void *buf, size_t len)
{
	struct dev_ctx *dc = ctx;
	ssize_t n = read(dc->fd, buf, len);

	return n < 0 ? -errno : (int)n;
}

static int dev_send(void *ctx, const void *buf, size_t len)
{
	struct dev_ctx *dc = ctx;
	ssize_t n = write(dc->fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static const struct chan_ops dev_chan_ops = {
	.recv = dev_recv,
	.send = dev_send,
};

/*
 * /dev/jfs is missing until the module is loaded: load it the way an
 * installed system would (modprobe.d maps nothing here, jfsk is the
 * module's name), then give devtmpfs a moment to create the node.
 */
static int dev_load_module(const char *path)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int status, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", "jfsk", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -ENOENT;
	for (i = 0; i < 40 && access(path, F_OK); i++)
		nanosleep(&pause, NULL);
	return access(path, F_OK) ? -ENOENT : 0;
}

int dev_open(const char *path, struct chan *c)
{
	struct jfs_handshake hs = {
		.major = JFS_PROTO_MAJOR,
		.minor = JFS_PROTO_MINOR,
	};
	struct dev_ctx *dc;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && dev_load_module(path) == 0)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			log_error("cannot open '%s': %s (is the jfsk module loaded? try 'modprobe jfsk')",
				  path, strerror(-err));
		else if (err == -EBUSY)
			log_error("cannot open '%s': another jfsd is already attached",
				  path);
		else
			log_error("cannot open '%s': %s", path, strerror(-err));
		return err;
	}
	if (ioctl(fd, JFS_IOC_HANDSHAKE, &hs) < 0) {
		err = -errno;
		log_error("handshake on '%s' failed: %s (module and jfsd versions differ?)",
			  path, strerror(-err));
		close(fd);
		return err;
	}
	if (hs.msg_max > JFS_MSG_MAX) {
		log_error("kernel messages of %u bytes exceed our %u: upgrade jfsd",
			  hs.msg_max, JFS_MSG_MAX);
		close(fd);
		return -EPROTO;
	}
	dc = calloc(1, sizeof(*dc));
	if (!dc) {
		close(fd);
		return -ENOMEM;
	}
	dc->fd = fd;
	c->ops = &dev_chan_ops;
	c->ctx = dc;
	log_info("attached to %s (protocol %u.%u)", path, hs.major, hs.minor);
	return 0;
}

void dev_close(struct chan *c)
{
	struct dev_ctx *dc = c->ctx;

	if (!dc)
		return;
	close(dc->fd);
	free(dc);
	c->ctx = NULL;
}
