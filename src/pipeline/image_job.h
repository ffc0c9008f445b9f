/* Still-image mode of a pipeline (auface_process_image, auface_process_images): the static
 * AU models and the per-thread image workers, made on first use and kept for later calls. */
#ifndef AU_PIPELINE_IMAGE_JOB_H
#define AU_PIPELINE_IMAGE_JOB_H

typedef struct au_image_mode au_image_mode;

/* Frees the image mode of a pipeline (auface_pipeline_destroy); NULL is a no-op. */
void au_image_mode_free(au_image_mode *im);

#endif
