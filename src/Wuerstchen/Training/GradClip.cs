using Wuerstchen.Autograd;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>torch.nn.utils.clip_grad_norm_ (L2): one norm over all gradients, scaled down together when it exceeds the limit.</summary>
public static unsafe class GradClip
{
    /// <summary>
    /// The L2 norm of all gradients taken together (parameters without a gradient are skipped), accumulated in double.
    /// </summary>
    public static double TotalNorm(IEnumerable<Tensor> parameters)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            var g = p.Grad;
            if (g is null) continue;
            double s = 0;
            if (g.IsContiguous)
                foreach (var v in g.AsSpan()) s += (double)v * v;
            else
                foreach (var v in g.ToArray()) s += (double)v * v;   // any strides
            sum += s;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (total + 1e-6)) and returns the total norm measured before scaling
    /// (torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1). A non-finite total norm is returned unchanged
    /// and, with <paramref name="errorIfNonfinite"/>, raises (torch's error_if_nonfinite).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonfinite = false)
    {
        var list = parameters.ToArray();
        double total = TotalNorm(list);
        if (!double.IsFinite(total))
        {
            if (errorIfNonfinite)
                throw new InvalidOperationException($"ClipGradNorm: the total gradient norm is {total}; the gradients of this step cannot be clipped.");
            return total;
        }
        double coef = maxNorm / (total + 1e-6);
        if (coef >= 1) return total; // torch multiplies by the clamped 1.0, which changes nothing
        float c = (float)coef;
        using var _ = Tape.NoGrad();
        foreach (var p in list)
        {
            var g = p.Grad;
            if (g is null) continue;
            if (!g.IsContiguous) throw new InvalidOperationException($"ClipGradNorm: the gradient {g} is strided.");
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.AsSpan(), c, g.AsSpan());
        }
        return total;
    }

    /// <summary><see cref="ClipGradNorm(IEnumerable{Tensor}, double, bool)"/> over named parameters.</summary>
    public static double ClipGradNorm(IEnumerable<NamedParameter> parameters, double maxNorm, bool errorIfNonfinite = false) =>
        ClipGradNorm(parameters.Select(p => p.Value), maxNorm, errorIfNonfinite);
}
