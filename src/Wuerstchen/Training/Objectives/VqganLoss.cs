using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Objectives;

/// <summary>
/// The Stage A (VQGAN) training objective without the adversarial/perceptual parts, whose weights are not published
/// (SPEC §7.4): encode, quantise with the straight-through estimator, decode the quantised latents, and
/// <code>loss = mse(recon, image) + mse(z_q, sg(z)) + β·mse(z, sg(z_q))</code>
/// The reconstruction gradient reaches the decoder and, straight through, the encoder; the codebook term only the
/// codebook rows used; the commitment term only the encoder. Dispose to free every tensor.
/// </summary>
public sealed class VqganLoss : IDisposable
{
    /// <summary>Encoder output z [B, C, h, w] (before quantisation).</summary>
    public Tensor Latents { get; }

    /// <summary>Quantisation, straight-through latents and the VQ terms.</summary>
    public VectorQuantizerLoss Quantizer { get; }

    /// <summary>decode(quantized) [B, 3, H, W].</summary>
    public Tensor Reconstruction { get; }

    /// <summary>mean((recon − image)²).</summary>
    public Tensor ReconstructionLoss { get; }

    /// <summary>ReconstructionLoss + Quantizer.Loss: what a step backpropagates.</summary>
    public Tensor Loss { get; }

    private VqganLoss(Tensor latents, VectorQuantizerLoss quantizer, Tensor reconstruction, Tensor reconstructionLoss, Tensor loss)
    {
        Latents = latents; Quantizer = quantizer; Reconstruction = reconstruction; ReconstructionLoss = reconstructionLoss; Loss = loss;
    }

    /// <param name="vq">the model (its encoder BatchNorm in train or eval mode as the caller set it)</param>
    /// <param name="image">pixels in [0, 1], [B, 3, H, W]</param>
    /// <param name="beta">commitment weight</param>
    public static VqganLoss Compute(PaellaVQModel vq, Tensor image, float beta = 0.25f)
    {
        var latents = vq.Encode(image);
        VectorQuantizerLoss? quantizer = null;
        Tensor? recon = null, reconLoss = null;
        try
        {
            int[] indices;
            using (Tape.NoGrad())
            using (var detached = latents.Detach())
            {
                var (rows, nearest) = vq.Quantize(detached);
                rows.Dispose();
                indices = nearest;
            }
            quantizer = VectorQuantizerLoss.Compute(latents, vq.Codebook, indices, beta);
            recon = vq.Decode(quantizer.Quantized);
            reconLoss = DiffusionLoss.Mse(recon, image);
            var loss = Ops.Add(reconLoss, quantizer.Loss);
            return new VqganLoss(latents, quantizer, recon, reconLoss, loss);
        }
        catch
        {
            latents.Dispose(); quantizer?.Dispose(); recon?.Dispose(); reconLoss?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Loss.Dispose();
        ReconstructionLoss.Dispose();
        Reconstruction.Dispose();
        Quantizer.Dispose();
        Latents.Dispose();
    }
}
