using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Objectives;

/// <summary>
/// Vector quantisation for training (SPEC §7.4; diffusers <c>VectorQuantizer(legacy=False, beta)</c>): each latent
/// pixel is replaced by its nearest codebook row z_q, with the <b>straight-through</b> estimator
/// <c>quantized = z + sg(z_q − z)</c> (z_q's values forward, the identity backward) and the two VQ terms
/// <list type="bullet">
/// <item>codebook loss <c>mean((z_q − sg(z))²)</c>: moves the used codebook rows towards the encoder output;</item>
/// <item>commitment loss <c>mean((z − sg(z_q))²)</c>, weighted by β: keeps the encoder close to its codes.</item>
/// </list>
/// The two have the same value; they differ only in where their gradient goes. Dispose to free every tensor.
/// </summary>
public sealed class VectorQuantizerLoss : IDisposable
{
    /// <summary>The straight-through latents [B, C, h, w]: z_q's values, gradient passed to the encoder output unchanged.</summary>
    public Tensor Quantized { get; }

    /// <summary>The chosen codebook rows [B, C, h, w] (a gather of the codebook: its gradient reaches only the rows used).</summary>
    public Tensor CodebookRows { get; }

    /// <summary>mean((z_q − sg(z))²), gradient into the codebook only.</summary>
    public Tensor CodebookLoss { get; }

    /// <summary>mean((z − sg(z_q))²), unweighted, gradient into the encoder only.</summary>
    public Tensor CommitmentLoss { get; }

    /// <summary>CodebookLoss + β·CommitmentLoss.</summary>
    public Tensor Loss { get; }

    /// <summary>Nearest codebook row per latent pixel, flattened in (b, y, x) order.</summary>
    public int[] Indices { get; }

    private VectorQuantizerLoss(Tensor quantized, Tensor rows, Tensor codebookLoss, Tensor commitmentLoss, Tensor loss, int[] indices)
    {
        Quantized = quantized; CodebookRows = rows; CodebookLoss = codebookLoss; CommitmentLoss = commitmentLoss; Loss = loss; Indices = indices;
    }

    /// <param name="latents">encoder output z [B, C, h, w] (tracked under a tape)</param>
    /// <param name="codebook">the embedding table [K, C] (a parameter when the codebook is trained)</param>
    /// <param name="indices">the nearest row of each pixel in (b, y, x) order (e.g. <c>PaellaVQModel.Quantize</c>); chosen without gradient</param>
    /// <param name="beta">commitment weight (0.25 in Stage A)</param>
    public static VectorQuantizerLoss Compute(Tensor latents, Tensor codebook, int[] indices, float beta = 0.25f)
    {
        if (latents.Rank != 4) throw new ArgumentException($"VectorQuantizerLoss: latents must be [B, C, h, w], got {latents}.", nameof(latents));
        if (codebook.Rank != 2 || codebook.Size(1) != latents.Size(1))
            throw new ArgumentException($"VectorQuantizerLoss: codebook must be [K, {latents.Size(1)}] for latents {latents}, got {codebook}.", nameof(codebook));
        int batch = latents.Size(0), height = latents.Size(2), width = latents.Size(3);
        if (indices.Length != batch * height * width)
            throw new ArgumentException($"VectorQuantizerLoss: {indices.Length} indices for {batch}·{height}·{width} latent pixels.", nameof(indices));

        Tensor rows;
        using (var rowsLast = Ops.Embedding(codebook, indices, [batch, height, width]))  // [B, h, w, C]
            rows = Ops.ToChannelsFirst(rowsLast);
        using var zDetached = latents.Detach();
        using var rowsDetached = rows.Detach();
        Tensor? quantized = null, codebookLoss = null, commitmentLoss = null;
        try
        {
            using (var offset = Ops.Sub(rowsDetached, zDetached))                         // constant: no graph
                quantized = Ops.Add(latents, offset);
            codebookLoss = DiffusionLoss.Mse(rows, zDetached);
            commitmentLoss = DiffusionLoss.Mse(latents, rowsDetached);
            using var weighted = Ops.Mul(commitmentLoss, beta);
            var loss = Ops.Add(codebookLoss, weighted);
            return new VectorQuantizerLoss(quantized, rows, codebookLoss, commitmentLoss, loss, indices);
        }
        catch
        {
            rows.Dispose(); quantized?.Dispose(); codebookLoss?.Dispose(); commitmentLoss?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Quantized.Dispose();
        CodebookRows.Dispose();
        CodebookLoss.Dispose();
        CommitmentLoss.Dispose();
        Loss.Dispose();
    }
}
