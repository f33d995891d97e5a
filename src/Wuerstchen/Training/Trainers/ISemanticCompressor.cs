using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// The semantic compressor the Stage C and Stage B trainers need (SPEC §2.13: EfficientNetV2 features + 1×1 mapper
/// + BatchNorm): images in [0, 1] → raw mapper features [B, C, h, w]. Stage C learns to generate
/// <c>(features + 1)/42</c>; Stage B is conditioned on the raw features and may train the compressor jointly
/// (SPEC §7.3), so the compressor exposes its <see cref="Module"/> (parameters and state dict) and writes its own
/// component folder.
/// </summary>
public interface ISemanticCompressor : IDisposable
{
    /// <summary>Feature channels (16 for Würstchen v2).</summary>
    int LatentChannels { get; }

    /// <summary>The weights (parameters and BatchNorm buffers) under state-dict keys.</summary>
    Module Module { get; }

    /// <summary>How <see cref="Encode"/> treats its input (resize, normalisation): part of a latent cache's identity.</summary>
    string InputSignature { get; }

    /// <summary>
    /// The backbone's total downscale (32 for every EfficientNetV2). A checkpoint's pipeline constants follow it:
    /// the released 42.67 / 10.67 at 32, half of each at 16 (<see cref="Checkpoints.PipelineIndex.ResolutionMultiple"/>).
    /// </summary>
    int Stride => Checkpoints.PipelineIndex.ReleasedStride;

    /// <summary>The component's <c>config.json</c> text (folder <c>effnet</c> of a checkpoint).</summary>
    string ConfigJson { get; }

    /// <summary>
    /// Features of <paramref name="images"/> [B, 3, H, W] in [0, 1] (normalisation and any resize are the
    /// compressor's). <paramref name="training"/>: BatchNorm on batch statistics, updating the running ones.
    /// </summary>
    Tensor Encode(Tensor images, bool training);
}
