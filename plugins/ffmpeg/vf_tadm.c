/*
 * tadm filter: restores full-resolution frames from thumbnails with a tadm model.
 *
 * Part of the tadm project (plugins/ffmpeg). This file is compiled inside FFmpeg's
 * libavfilter; build-ffmpeg.sh copies it to libavfilter/vf_tadm.c and the patch series in
 * patches/ registers it. It uses only libtadm's public C API (tadm/tadm.h).
 *
 * Written against FFmpeg 5.1 (libavfilter 8). See README.md for the differences in 7.1/8.x.
 */

#include <limits.h>
#include <string.h>

#include <tadm/tadm.h>

#include "libavutil/imgutils.h"
#include "libavutil/internal.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"

#include "avfilter.h"
#include "formats.h"
#include "internal.h"
#include "video.h"

typedef struct TadmContext {
    const AVClass *class;
    char *model;      /* "classic", a bundle name or a bundle directory */
    char *model_dir;  /* extra directory to look bundle names up in */
    int scale;        /* 0 = the model's own scale */
    int threads;      /* 0 = all cores */
    int tile;         /* largest model tile in full-resolution pixels, 0 = library default */

    tadm_decoder *decoder;
    uint32_t factor;  /* the scale actually used */
} TadmContext;

#define OFFSET(x) offsetof(TadmContext, x)
#define FLAGS AV_OPT_FLAG_VIDEO_PARAM | AV_OPT_FLAG_FILTERING_PARAM

static const AVOption tadm_options[] = {
    { "model",     "model: classic, a bundle name (pix16) or a bundle directory; default: tadmenc's for the scale", OFFSET(model), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "model_dir", "extra directory to look bundle names up in",                  OFFSET(model_dir), AV_OPT_TYPE_STRING, { .str = NULL },      0, 0,        FLAGS },
    { "scale",     "upscale factor per side, 2..64 (0 = the model's own)",        OFFSET(scale),     AV_OPT_TYPE_INT,    { .i64 = 0 },         0, 64,       FLAGS, "scale" },
        { "auto",  "the model's own scale",                                       0,                 AV_OPT_TYPE_CONST,  { .i64 = 0 },         0, 0,        FLAGS, "scale" },
    { "threads",   "worker threads of the model (0 = all cores)",                 OFFSET(threads),   AV_OPT_TYPE_INT,    { .i64 = 0 },         0, 256,      FLAGS },
    { "tile",      "largest model tile in full-resolution pixels (0 = default)",  OFFSET(tile),      AV_OPT_TYPE_INT,    { .i64 = 0 },         0, INT_MAX,  FLAGS },
    { NULL }
};

AVFILTER_DEFINE_CLASS(tadm);

static void tadm_log_to_av(void *user, tadm_log_level level, const char *message)
{
    int av_level = AV_LOG_DEBUG;
    switch (level) {
    case TADM_LOG_ERROR:   av_level = AV_LOG_ERROR;   break;
    case TADM_LOG_WARNING: av_level = AV_LOG_WARNING; break;
    case TADM_LOG_INFO:    av_level = AV_LOG_VERBOSE; break;
    case TADM_LOG_DEBUG:   av_level = AV_LOG_DEBUG;   break;
    }
    av_log(user, av_level, "%s\n", message);
}

static int status_to_averror(tadm_status status)
{
    switch (status) {
    case TADM_OK:                     return 0;
    case TADM_ERROR_INVALID_ARGUMENT:
    case TADM_ERROR_LIMIT:            return AVERROR(EINVAL);
    case TADM_ERROR_OUT_OF_MEMORY:    return AVERROR(ENOMEM);
    case TADM_ERROR_IO:               return AVERROR(EIO);
    case TADM_ERROR_UNSUPPORTED:      return AVERROR(ENOSYS);
    case TADM_ERROR_MODEL:
    case TADM_ERROR_MODEL_MISMATCH:   return AVERROR(EINVAL);
    default:                          return AVERROR_EXTERNAL;
    }
}

/* The model's own factor, learned through the public API: upscale a small grey probe with
 * scale 0 and read the output width. */
static int probe_native_scale(AVFilterContext *ctx, uint32_t *factor)
{
    TadmContext *s = ctx->priv;
    const uint32_t side = 16;
    tadm_image *probe = NULL, *out = NULL;
    tadm_status st = tadm_image_create(side, side, 3, 8, &probe, NULL, 0);
    if (st != TADM_OK)
        return status_to_averror(st);
    memset(probe->pixels, 128, probe->row_bytes * side);
    st = tadm_decoder_upscale(s->decoder, probe, 0, &out);
    tadm_image_free(probe);
    if (st != TADM_OK) {
        av_log(ctx, AV_LOG_ERROR, "Cannot determine the scale of model '%s': %s\n",
               s->model, tadm_decoder_last_error(s->decoder));
        return status_to_averror(st);
    }
    *factor = out->width / side;
    tadm_image_free(out);
    return 0;
}

static av_cold int init(AVFilterContext *ctx)
{
    TadmContext *s = ctx->priv;
    tadm_decoder_settings settings;
    char error[512] = "";
    tadm_status st;
    int ret;

    if (s->scale == 1) {
        av_log(ctx, AV_LOG_ERROR, "Invalid scale 1: the factor must be 2..64, or 0 for the model's own\n");
        return AVERROR(EINVAL);
    }
    if (!s->model || !s->model[0]) {
        /* The same default as tadmenc, so that the filter restores what tadmenc made. */
        av_freep(&s->model);
        if (!(s->model = av_strdup(tadm_default_model((uint32_t)s->scale))))
            return AVERROR(ENOMEM);
    }

    tadm_decoder_default_settings(&settings);
    settings.common.model     = s->model;
    settings.common.model_dir = s->model_dir;
    settings.common.threads   = s->threads;
    settings.common.limits.max_tile_pixels = (uint32_t)s->tile;
    settings.common.log       = tadm_log_to_av;
    settings.common.user      = ctx;

    st = tadm_decoder_create(&settings, &s->decoder, error, sizeof(error));
    if (st != TADM_OK) {
        av_log(ctx, AV_LOG_ERROR, "Cannot open model '%s': %s (%s)\n", s->model,
               error[0] ? error : "unknown error", tadm_status_string(st));
        return status_to_averror(st);
    }

    if (s->scale) {
        s->factor = (uint32_t)s->scale;
    } else if ((ret = probe_native_scale(ctx, &s->factor)) < 0) {
        return ret;
    }
    av_log(ctx, AV_LOG_VERBOSE, "model %s, scale %u, libtadm %s\n", s->model, s->factor,
           tadm_version_string());
    return 0;
}

static av_cold void uninit(AVFilterContext *ctx)
{
    TadmContext *s = ctx->priv;
    tadm_decoder_destroy(s->decoder);
    s->decoder = NULL;
}

static int config_output(AVFilterLink *outlink)
{
    AVFilterContext *ctx = outlink->src;
    AVFilterLink *inlink = ctx->inputs[0];
    TadmContext *s = ctx->priv;
    const int64_t w = (int64_t)inlink->w * s->factor;
    const int64_t h = (int64_t)inlink->h * s->factor;
    int ret;

    if (w > INT_MAX || h > INT_MAX ||
        (ret = av_image_check_size2((unsigned)w, (unsigned)h, INT64_MAX, AV_PIX_FMT_RGB24, 0, ctx)) < 0) {
        av_log(ctx, AV_LOG_ERROR, "Output size %"PRId64"x%"PRId64" (input %dx%d times %u) is too large\n",
               w, h, inlink->w, inlink->h, s->factor);
        return AVERROR(EINVAL);
    }
    outlink->w = (int)w;
    outlink->h = (int)h;
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;
    av_log(ctx, AV_LOG_VERBOSE, "%dx%d -> %dx%d\n", inlink->w, inlink->h, outlink->w, outlink->h);
    return 0;
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx = inlink->dst;
    AVFilterLink *outlink = ctx->outputs[0];
    TadmContext *s = ctx->priv;
    tadm_image lr, *copy = NULL, *hr = NULL;
    AVFrame *out = NULL;
    tadm_status st;
    int ret = 0;

    memset(&lr, 0, sizeof(lr));
    lr.width     = (uint32_t)in->width;
    lr.height    = (uint32_t)in->height;
    lr.channels  = 3;
    lr.bit_depth = 8;
    if (in->linesize[0] > 0) {
        lr.row_bytes = (size_t)in->linesize[0];
        lr.pixels    = in->data[0];
    } else {
        /* A negative stride (e.g. after vflip): hand the library a packed copy. */
        st = tadm_image_create(lr.width, lr.height, 3, 8, &copy, NULL, 0);
        if (st != TADM_OK) {
            ret = status_to_averror(st);
            goto end;
        }
        av_image_copy_plane(copy->pixels, (int)copy->row_bytes, in->data[0], in->linesize[0],
                            in->width * 3, in->height);
        lr.row_bytes = copy->row_bytes;
        lr.pixels    = copy->pixels;
    }

    st = tadm_decoder_upscale(s->decoder, &lr, s->factor, &hr);
    if (st != TADM_OK) {
        av_log(ctx, AV_LOG_ERROR, "Upscaling a %dx%d frame failed: %s (%s)\n", in->width, in->height,
               tadm_decoder_last_error(s->decoder), tadm_status_string(st));
        ret = status_to_averror(st);
        goto end;
    }
    if (hr->width != (uint32_t)outlink->w || hr->height != (uint32_t)outlink->h ||
        hr->channels != 3 || hr->bit_depth != 8) {
        av_log(ctx, AV_LOG_ERROR, "libtadm returned a %ux%u image with %u channels of %u bits; "
               "expected %dx%d RGB 8-bit\n", hr->width, hr->height, hr->channels, hr->bit_depth,
               outlink->w, outlink->h);
        ret = AVERROR_BUG;
        goto end;
    }

    out = ff_get_video_buffer(outlink, outlink->w, outlink->h);
    if (!out) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    ret = av_frame_copy_props(out, in);
    if (ret < 0)
        goto end;
    av_image_copy_plane(out->data[0], out->linesize[0], hr->pixels, (int)hr->row_bytes,
                        outlink->w * 3, outlink->h);

end:
    tadm_image_free(hr);
    tadm_image_free(copy);
    av_frame_free(&in);
    if (ret < 0) {
        av_frame_free(&out);
        return ret;
    }
    return ff_filter_frame(outlink, out);
}

static const AVFilterPad tadm_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .filter_frame = filter_frame,
    },
};

static const AVFilterPad tadm_outputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_output,
    },
};

const AVFilter ff_vf_tadm = {
    .name          = "tadm",
    .description   = NULL_IF_CONFIG_SMALL("Restore full-resolution frames from thumbnails with a tadm model."),
    .priv_size     = sizeof(TadmContext),
    .priv_class    = &tadm_class,
    .init          = init,
    .uninit        = uninit,
    FILTER_INPUTS(tadm_inputs),
    FILTER_OUTPUTS(tadm_outputs),
    FILTER_PIXFMTS(AV_PIX_FMT_RGB24),
};
