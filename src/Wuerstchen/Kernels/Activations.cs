namespace Wuerstchen.Kernels;

/// <summary>Activation functions over contiguous float buffers (y may alias x).</summary>
public static unsafe class Activations
{
    /// <summary>Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (torch's default approximate='none').</summary>
    public static void Gelu(float* x, float* y, long n) => Elementwise.Map(default(GeluOp), x, y, n);

    /// <summary>GELU with torch's tanh approximation.</summary>
    public static void GeluTanh(float* x, float* y, long n) => Elementwise.Map(default(GeluTanhOp), x, y, n);

    /// <summary>SiLU (swish), x·sigmoid(x).</summary>
    public static void Silu(float* x, float* y, long n) => Elementwise.Map(default(SiluOp), x, y, n);

    public static void Sigmoid(float* x, float* y, long n) => Elementwise.Map(default(SigmoidOp), x, y, n);
    public static void Tanh(float* x, float* y, long n) => Elementwise.Map(default(TanhOp), x, y, n);
    public static void Erf(float* x, float* y, long n) => Elementwise.Map(default(ErfOp), x, y, n);
    public static void Relu(float* x, float* y, long n) => Elementwise.Map(default(ReluOp), x, y, n);
    public static void LeakyRelu(float* x, float negativeSlope, float* y, long n) => Elementwise.Map(new LeakyReluOp(negativeSlope), x, y, n);
}

/// <summary>
/// 0.5·x·(1 + erf(x/√2)), with 1 + erf evaluated as erfc on the negative side, so the result stays accurate
/// (relative) in the far negative tail where the naive form cancels.
/// </summary>
internal readonly struct GeluOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> =>
        TV.Create(0.5f) * x * VectorMath.OnePlusErfOfScaled(x);
}

/// <summary>
/// torch's tanh GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated through the identity
/// 0.5·(1 + tanh z) = sigmoid(2z), which is the same function without the cancellation for negative x.
/// </summary>
internal readonly struct GeluTanhOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV>
    {
        var inner = TV.Create(0.7978845608028654f) * TV.Fma(TV.Create(0.044715f) * x, x * x, x);
        return x * VectorMath.Sigmoid(inner + inner);
    }
}

internal readonly struct SiluOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => x / (TV.Create(1f) + VectorMath.Exp(-x));
}

internal readonly struct SigmoidOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => VectorMath.Sigmoid(x);
}

internal readonly struct TanhOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => VectorMath.Tanh(x);
}

internal readonly struct ErfOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => VectorMath.Erf(x);
}

/// <summary>max(x, 0); NaN stays NaN as in torch.</summary>
internal readonly struct ReluOp : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> => TV.Max(x, TV.Create(0f));
}

/// <summary>x &gt; 0 ? x : slope·x (torch's form: NaN stays NaN, −0 maps to −0·slope).</summary>
internal readonly struct LeakyReluOp(float slope) : IUnaryOp
{
    public TV Invoke<TV>(TV x) where TV : unmanaged, ISimd<TV> =>
        TV.Select(TV.GreaterThan(x, TV.Create(0f)), x, x * TV.Create(slope));
}
