using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>The training target the Stage B and compressor objectives share: a frozen Stage A's latents of a batch.</summary>
internal static class FrozenStageA
{
    /// <summary><c>vqgan.encode(images) / scale_factor</c>, un-quantised, in evaluation mode and off the tape.</summary>
    public static Tensor Latents(PaellaVQModel vqgan, Tensor images)
    {
        using (Tape.NoGrad())
        {
            vqgan.Training = false;
            using var latents = vqgan.Encode(images);
            return Ops.Div(latents, vqgan.Config.ScaleFactor);
        }
    }
}
